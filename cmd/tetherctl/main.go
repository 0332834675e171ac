// Command tetherctl sends runtime API commands to one or many tether (or
// HAProxy) stats sockets.
//
//	tetherctl -s ADDR [-s ADDR ...] [-t TIMEOUT] COMMAND WORDS ...
//	tetherctl -s ADDR ... -            read commands from stdin, one per line
//	tetherctl -s ADDR ... -f FILE      read commands from FILE
//
// ADDR is host:port, ipv4@ip:port, ipv6@[ip]:port, unix@/path or a path.
// Each command goes to every socket in parallel; with several sockets each
// reply line is prefixed with the socket's address. The exit status is 0
// when every reply is a success, 1 when some reply is an error reply, 2 when
// a socket cannot be reached or does not answer in time, or on bad usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"tether/runtime"
)

// sockets collects repeated -s flags.
type sockets []string

func (s *sockets) String() string     { return strings.Join(*s, ",") }
func (s *sockets) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tetherctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var addrs sockets
	fs.Var(&addrs, "s", "stats socket address (repeat for a fleet)")
	timeout := fs.Duration("t", 5*time.Second, "time allowed for one command on one socket")
	file := fs.String("f", "", "read commands from this file, one per line")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *timeout <= 0 {
		fmt.Fprintln(stderr, "tetherctl: -t must be positive")
		return 2
	}
	if len(addrs) == 0 {
		fmt.Fprintln(stderr, "tetherctl: at least one -s ADDR is required")
		return 2
	}
	c := &runtime.Client{Timeout: *timeout, Out: stdout}
	for _, a := range addrs {
		t, err := runtime.ParseTarget(a)
		if err != nil {
			fmt.Fprintln(stderr, "tetherctl:", err)
			return 2
		}
		c.Targets = append(c.Targets, t)
	}
	var cmds []string
	var err error
	switch rest := fs.Args(); {
	case *file != "" && len(rest) > 0:
		fmt.Fprintln(stderr, "tetherctl: give commands either with -f or as arguments")
		return 2
	case *file != "":
		var f *os.File
		if f, err = os.Open(*file); err == nil {
			cmds, err = runtime.ReadCommands(f)
			f.Close()
		}
	case len(rest) == 1 && rest[0] == "-":
		cmds, err = runtime.ReadCommands(stdin)
	case len(rest) > 0:
		cmds = []string{strings.Join(rest, " ")}
	default:
		fmt.Fprintln(stderr, "tetherctl: no command (give one, - for stdin, or -f FILE)")
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "tetherctl:", err)
		return 2
	}
	return int(c.Run(context.Background(), cmds))
}
