package runtime

import (
	"time"

	"tether/engine/config"
)

// cliCommands act on the session itself.
var cliCommands = []command{
	{words: []string{"show", "cli", "level"}, level: LevelUser,
		usage: "show cli level", help: "print this session's access level",
		run: runShowCLILevel},
	{words: []string{"operator"}, level: LevelUser, listFrom: LevelOperator,
		usage: "operator", help: "drop this session to the operator level",
		run: runSetLevel},
	{words: []string{"user"}, level: LevelUser,
		usage: "user", help: "drop this session to the user level",
		run: runSetLevel},
	{words: []string{"help"}, level: LevelUser, trailer: true,
		usage: "help [<command>]", help: "list the commands this session may run, or those starting with <command>",
		run: runHelp},
	{words: []string{"prompt"}, level: LevelUser, trailer: true,
		usage: "prompt", help: "switch interactive mode with a \"> \" prompt on or off",
		run: runPrompt},
	{words: []string{"set", "timeout"}, level: LevelUser,
		usage: "set timeout [cli] <delay>", help: "change this session's idle timeout (seconds unless a unit follows)",
		run: runSetTimeout},
	{words: []string{"quit"}, level: LevelUser, trailer: true,
		usage: "quit", help: "close this connection",
		run: runQuit},
}

// runSetTimeout serves `set timeout cli <delay>`: the session's idle
// timeout from then on, at least a second.
func runSetTimeout(s *session, args []string, _ []byte) {
	if arg(args, 2) != "cli" {
		s.print(msgTimeoutOnlyCLI)
		return
	}
	v := arg(args, 3)
	if v == "" {
		s.print(msgExpectsInteger)
		return
	}
	n, ok := config.ParseSeconds(v)
	if !ok || n < 1 {
		s.print(msgInvalidTimeout)
		return
	}
	s.timeout = time.Duration(n) * time.Second
}

func runShowCLILevel(s *session, _ []string, _ []byte) {
	s.print(s.level.String())
	s.print("\n")
}

// runSetLevel serves `operator` and `user`: a session may lower its level,
// never raise it. With the argument "-" the empty line after the reply is
// left out, denial included.
func runSetLevel(s *session, args []string, _ []byte) {
	if len(args) > 1 && args[1] == "-" {
		s.nolf = true
	}
	want := LevelUser
	if args[0] == "operator" {
		want = LevelOperator
	}
	if s.level < want {
		s.print(msgPermissionDenied)
		return
	}
	s.level = want
}

func runHelp(s *session, args []string, _ []byte) { s.printUsage(args[1:], true) }

func runPrompt(s *session, _ []string, _ []byte) { s.prompt = !s.prompt }

func runQuit(s *session, _ []string, _ []byte) { s.quit = true }
