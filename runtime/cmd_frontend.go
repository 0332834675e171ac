package runtime

import "slices"

// frontendCommands pause, resume and stop frontends; all need admin.
var frontendCommands = []command{
	{words: []string{"disable", "frontend"}, level: LevelAdmin,
		usage: "disable frontend <frontend>", help: "close a frontend's listening sockets until enable frontend",
		run: runFrontendState},
	{words: []string{"enable", "frontend"}, level: LevelAdmin,
		usage: "enable frontend <frontend>", help: "listen again on a disabled frontend's addresses",
		run: runFrontendState},
	{words: []string{"shutdown", "frontend"}, level: LevelAdmin,
		usage: "shutdown frontend <frontend>", help: "close a frontend's listening sockets for good",
		run: runFrontendState},
}

// frontendArg checks the frontend argument of a command, or prints why it
// names none: it is empty, or no frontend-capable proxy has that name.
func frontendArg(s *session, name string) (string, bool) {
	if name == "" {
		s.print(msgFrontendExpected)
		return "", false
	}
	if !slices.ContainsFunc(s.ctl.Stats(), func(r StatRow) bool { return r.Kind == StatFrontend && r.Proxy == name }) {
		s.print(msgNoSuchFrontend)
		return "", false
	}
	return name, true
}

// runFrontendState serves disable, enable and shutdown frontend.
func runFrontendState(s *session, args []string, _ []byte) {
	name, ok := frontendArg(s, arg(args, 2))
	if !ok {
		return
	}
	switch args[0] {
	case "disable":
		s.printErr(s.ctl.PauseFrontend(name))
	case "enable":
		s.printErr(s.ctl.ResumeFrontend(name))
	default:
		s.printErr(s.ctl.StopFrontend(name))
	}
}
