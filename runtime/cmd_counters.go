package runtime

// counterCommands clear the counters of show stat.
var counterCommands = []command{
	{words: []string{"clear", "counters"}, level: LevelOperator,
		usage: "clear counters [all]", help: "restart the maxima of show stat from zero (all: every counter, admin only)",
		run: runClearCounters},
}

// runClearCounters clears the maxima, or every counter when its argument is
// "all", which takes the admin level.
func runClearCounters(s *session, args []string, _ []byte) {
	all := arg(args, 2) == "all"
	if all && s.level < LevelAdmin {
		s.print(msgPermissionDenied)
		return
	}
	s.ctl.ClearCounters(all)
}
