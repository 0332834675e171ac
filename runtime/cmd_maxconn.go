package runtime

// maxconnCommands change connection limits; all need admin. As HAProxy's,
// those of a frontend and of the process read their value as C's atoi
// does ("abc" is 0).
var maxconnCommands = []command{
	{words: []string{"set", "maxconn", "frontend"}, level: LevelAdmin,
		usage: "set maxconn frontend <frontend> <value>", help: "change how many clients a frontend serves at once",
		run: runSetMaxconnFrontend},
	{words: []string{"set", "maxconn", "server"}, level: LevelAdmin,
		usage: "set maxconn server <bk>/<srv> <value>", help: "change how many connections a server takes at once",
		run: runSetMaxconnServer},
	{words: []string{"set", "maxconn", "global"}, level: LevelAdmin,
		usage: "set maxconn global <value>", help: "change how many clients the process serves at once",
		run: runSetMaxconnGlobal},
}

// runSetMaxconnFrontend sets a frontend's maxconn: the frontend is looked
// for first, then the value, which may not be negative (0 holds every new
// client back).
func runSetMaxconnFrontend(s *session, args []string, _ []byte) {
	name, ok := frontendArg(s, arg(args, 3))
	if !ok {
		return
	}
	v := arg(args, 4)
	if v == "" {
		s.print(msgIntegerExpected)
		return
	}
	s.printErr(s.ctl.SetFrontendMaxConn(name, atoi(v)))
}

// runSetMaxconnServer sets a server's maxconn, read as strtol reads it
// with nothing after the number.
func runSetMaxconnServer(s *session, args []string, _ []byte) {
	t, ok := findTarget(s, arg(args, 3))
	if !ok {
		return
	}
	text := arg(args, 4)
	v, rest, _ := strtol(text)
	switch {
	case text == "":
		s.print(msgRequireMaxconn)
	case rest == text:
		s.print(msgMaxconnGarbage)
	case rest != "":
		s.print(msgMaxconnTrailing)
	default:
		s.printErr(s.ctl.SetServerMaxConn(t.be.Name, t.sv.Name, int(v)))
	}
}

// runSetMaxconnGlobal sets the process's maxconn: at most its hard limit,
// which a value of 0 or less restores.
func runSetMaxconnGlobal(s *session, args []string, _ []byte) {
	v := arg(args, 3)
	if v == "" {
		s.print(msgExpectsInteger)
		return
	}
	s.printErr(s.ctl.SetGlobalMaxConn(atoi(v)))
}
