package runtime

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestIsErrorReply(t *testing.T) {
	t.Parallel()
	errs := []struct{ cmd, reply string }{
		{"foo", headFuzzy + "  quit : x\n\n"},
		{"set server bk/s1 state drain", "Permission denied\n\n"},
		{"set server bk/x state drain", "No such server.\n\n"},
		{"set server bk/s1 weight 1x", "Trailing garbage in weight string\n"},
		{"set server bk/s1 addr 1.2.3.4 port x", "IP changed from '127.0.0.1' to '1.2.3.4', problem converting port 'x' to an int by 'stats socket command'\n\n"},
		{"add server bk/n 1.2.3.4:80 foo", "unknown keyword 'foo'.\n\n"},
		{"del server bk/s1", "Only servers in maintenance mode can be deleted.\n"},
		{"show cli level;enable dynamic-cookie backend bk", "operator\n\nPermission denied\n\n"},
	}
	for _, e := range errs {
		if !IsErrorReply(e.cmd, e.reply) {
			t.Errorf("%q -> %q not seen as an error", e.cmd, e.reply)
		}
	}
	oks := []struct{ cmd, reply string }{
		{"set server bk/s1 state drain", "\n"},
		{"show cli level", "admin\n\n"},
		{"set server bk/s1 addr 1.2.3.4", "IP changed from '127.0.0.1' to '1.2.3.4' by 'stats socket command'\n\n"},
		{"add server bk/n 1.2.3.4:80", "New server registered.\n\n"},
		{"del server bk/n", "Server deleted.\n"},
		{"get weight bk/s1", "1 (initial 1)\n\n"},
		{"show backend", "# name\nRequirements\nInvalid\n\n"}, // names that look like error words
	}
	for _, o := range oks {
		if IsErrorReply(o.cmd, o.reply) {
			t.Errorf("%q -> %q seen as an error", o.cmd, o.reply)
		}
	}
}

func TestClientFleet(t *testing.T) {
	t.Parallel()
	f := newFake()
	a := startServer(t, LevelAdmin, f)
	b := startServer(t, LevelOperator, f)
	c := &Client{Timeout: ioTimeout}
	for _, s := range []*Server{a, b} {
		tg, err := ParseTarget("ipv4@" + s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Targets = append(c.Targets, tg)
	}
	var out bytes.Buffer
	c.Out = &out
	if got := c.Run(context.Background(), []string{"show cli level", "get weight bk/s2"}); got != OK {
		t.Errorf("outcome %v", got)
	}
	pa, pb := c.Targets[0].Name+": ", c.Targets[1].Name+": "
	want := pa + "admin\n" + pb + "operator\n" + pa + "5 (initial 5)\n" + pb + "5 (initial 5)\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	out.Reset()
	if got := c.Run(context.Background(), []string{"set server bk/s1 weight 3"}); got != ErrorReply {
		t.Errorf("outcome %v, want ErrorReply", got)
	}
	if out.String() != pb+"Permission denied\n" {
		t.Errorf("got %q", out.String())
	}
	if calls := f.takeCalls(); len(calls) != 1 {
		t.Errorf("calls %q, want the admin socket's only", calls)
	}
}

func TestClientTimeout(t *testing.T) {
	t.Parallel()
	// A listener that accepts and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	tg, _ := ParseTarget(ln.Addr().String())
	var out bytes.Buffer
	c := &Client{Targets: []Target{tg}, Timeout: 50 * time.Millisecond, Out: &out}
	if got := c.Run(context.Background(), []string{"show info"}); got != Failed {
		t.Errorf("outcome %v, want Failed", got)
	}
	if !strings.Contains(out.String(), ErrTimeout.Error()) {
		t.Errorf("output %q", out.String())
	}
}

func TestReadCommands(t *testing.T) {
	t.Parallel()
	got, err := ReadCommands(strings.NewReader("show info\r\n\n  # comment\nset server bk/s1 state drain\n   \nshow stat"))
	if err != nil || strings.Join(got, "|") != "show info|set server bk/s1 state drain|show stat" {
		t.Errorf("got %q, %v", got, err)
	}
}
