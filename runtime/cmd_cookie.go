package runtime

// cookieCommands change a backend's dynamic cookies; all need admin.
var cookieCommands = []command{
	{words: []string{"enable", "dynamic-cookie", "backend"}, level: LevelAdmin,
		usage: "enable dynamic-cookie backend <bk>", help: "turn dynamic server cookies on for a backend",
		run: runDynamicCookie},
	{words: []string{"disable", "dynamic-cookie", "backend"}, level: LevelAdmin,
		usage: "disable dynamic-cookie backend <bk>", help: "turn dynamic server cookies off for a backend",
		run: runDynamicCookie},
	{words: []string{"set", "dynamic-cookie-key", "backend"}, level: LevelAdmin,
		usage: "set dynamic-cookie-key backend <bk> <k>", help: "replace a backend's dynamic cookie key",
		run: runDynamicCookieKey},
}

// cookieBackend resolves the backend argument of the cookie commands, or
// prints why it cannot.
func cookieBackend(s *session, args []string) *BackendView {
	name := arg(args, 3)
	if name == "" {
		s.print(msgBackendExpected)
		return nil
	}
	b := findBackend(s.ctl.Backends(), name)
	if b == nil {
		s.print(msgNoSuchBackend)
	}
	return b
}

func runDynamicCookie(s *session, args []string, _ []byte) {
	if b := cookieBackend(s, args); b != nil {
		s.printErr(s.ctl.SetDynamicCookie(b.Name, args[0] == "enable"))
	}
}

func runDynamicCookieKey(s *session, args []string, _ []byte) {
	b := cookieBackend(s, args)
	if b == nil {
		return
	}
	key := arg(args, 4)
	if key == "" {
		s.print(msgKeyExpected)
		return
	}
	s.printErr(s.ctl.SetDynamicCookieKey(b.Name, key))
}

// arg returns args[i], or "" past the end, as HAProxy's argument array
// reads.
func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

// printErr prints the reply text of an error from Control, with its LF, and
// nothing for nil.
func (s *session) printErr(err error) {
	if err != nil {
		s.print(err.Error())
		s.print("\n")
	}
}
