package runtime

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// firstLine returns s up to and including its first LF.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i+1]
	}
	return s
}

func TestFraming(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := startServer(t, LevelAdmin, f)
	cases := []struct {
		name, in, want string
	}{
		{"one command", "show cli level\n", "admin\n\n"},
		{"two lines", "show cli level\nshow cli level\n", "admin\n\nadmin\n\n"},
		{"semicolons", "show cli level;show backend\n", "admin\n\n# name\nbk\nst\nls\n\n"},
		{"crlf", "show cli level\r\nshow cli level\r\n", "admin\n\nadmin\n\n"},
		{"cr before semicolon", "show cli level\r;show cli level\n", "admin\n\nadmin\n\n"},
		{"blanks", "  show\tcli \t level  \n", "admin\n\n"},
		{"nul ends a word", "show\x00cli level\n", "admin\n\n"},
		{"escaped letter", "sh\\ow cli level\n", "admin\n\n"},
		{"trailing backslash at end of input", "show cli level\\\n", "admin\n\n"},
		{"incomplete line then eof", "show cli level", ""},
		{"complete then incomplete", "show cli level\nshow cli", "admin\n\n"},
		{"quit", "quit\n", ""},
		{"quit stops the chain", "show cli level;quit;show cli level\n", "admin\n\n"},
		{"payload", "show cli level <<\nfoo\nbar\n\nshow cli level\n", "admin\n\nadmin\n\n"},
		{"payload without eof line", "show cli level <<\nfoo\n", ""},
		{"prompt toggled twice", "prompt\nprompt\nshow cli level\n", "\n> \nadmin\n\n"},
		{"prompt then eof", "prompt\nshow cli level\n", "\n> admin\n\n> "},
		{"prompt within a chain", "prompt;show cli level\n", "\n> admin\n\n> "},
		{"payload prompt", "prompt\nshow cli level <<\nfoo\n\n", "\n> + + admin\n\n> "},
		{"operator dash", "operator -;show cli level\n", "operator\n\n"},
		{"user dash alone", "user -\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := tcpExchange(t, srv, c.in); got != c.want {
				t.Errorf("%q: got %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestFramingUnknown(t *testing.T) {
	t.Parallel()
	srv := startServer(t, LevelAdmin, newFake())
	cases := []struct {
		name, in string
		heads    []string // first line of each reply, in order
	}{
		{"empty line", "\n", []string{headUnknown}},
		{"two empty commands", ";\n", []string{headUnknown, headUnknown}},
		{"empty between", "show cli level;;show cli level\n", []string{"admin\n", headUnknown, "admin\n"}},
		{"escaped semicolon joins", "show cli level\\;show cli level\n", []string{headFuzzy}},
		{"escaped backslash then semicolon", "show cli level\\\\;show cli level\n", []string{headFuzzy, "admin\n"}},
		{"escaped space joins words", "show\\ cli level\n", []string{headFuzzy}},
		{"two CRs", "show cli level\r\r\n", []string{headFuzzy}},
		{"CR inside", "show cli\rlevel\n", []string{headFuzzy}},
		{"escaped LF continues the command", "show cli level\\\nshow cli level\n", []string{headFuzzy}},
		{"nul first", "\x00show cli level\n", []string{headUnknown}},
		{"payload mark glued", "show cli level<<\n\n", []string{headFuzzy}},
		{"unknown word", "foo\n", []string{headFuzzy}},
		{"partial command", "enable dynamic-cookie\n", []string{headFuzzy}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := tcpExchange(t, srv, c.in)
			replies := strings.SplitAfter(got, "\n\n")
			if replies[len(replies)-1] != "" {
				t.Fatalf("%q: reply does not end with an empty line: %q", c.in, got)
			}
			replies = replies[:len(replies)-1]
			if len(replies) != len(c.heads) {
				t.Fatalf("%q: %d replies, want %d: %q", c.in, len(replies), len(c.heads), got)
			}
			for i, r := range replies {
				if firstLine(r) != c.heads[i] {
					t.Errorf("%q: reply %d starts %q, want %q", c.in, i, firstLine(r), c.heads[i])
				}
			}
		})
	}
}

func TestFramingLongLine(t *testing.T) {
	t.Parallel()
	srv := startServer(t, LevelAdmin, newFake())
	fits := "show cli level " + strings.Repeat("x", maxCommand-len("show cli level ")-1) + "\n"
	if got := tcpExchange(t, srv, fits); got != "admin\n\n" {
		t.Errorf("command of %d bytes: got %.80q", len(fits), got)
	}
	long := "show cli level " + strings.Repeat("x", maxCommand-len("show cli level ")) + "\n"
	if got := tcpExchange(t, srv, long); got != "" {
		t.Errorf("command of %d bytes: got %d bytes, want the connection closed", len(long), len(got))
	}
	// A client sending without LF is cut at the limit, not buffered without
	// bound.
	if got := tcpExchange(t, srv, strings.Repeat("y", 3*maxCommand)); got != "" {
		t.Errorf("endless line: got %d bytes, want the connection closed", len(got))
	}
}

func TestFramingByteAtATime(t *testing.T) {
	t.Parallel()
	srv := startServer(t, LevelAdmin, newFake())
	c := dial(t, "tcp", srv.Addr().String())
	in := "prompt\nshow cli\\ level;show cli level\n"
	for i := 0; i < len(in); i++ {
		if _, err := c.Write([]byte{in[i]}); err != nil {
			t.Fatal(err)
		}
	}
	r := bufio.NewReader(c)
	want := "\n> " + headFuzzy
	got := make([]byte, len(want))
	if _, err := io.ReadFull(r, got); err != nil || string(got) != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	readUntil(t, r, "\n\n> ")
	if got := readUntil(t, r, "\n\n> "); got != "admin\n\n> " {
		t.Fatalf("second command: got %q", got)
	}
}

// TestPromptSession replays the interactive session of spec 7.7 / 5.1,
// reading each reply before sending the next line.
func TestPromptSession(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := startServer(t, LevelAdmin, f)
	c := dial(t, "tcp", srv.Addr().String())
	r := bufio.NewReader(c)
	steps := []struct{ in, want string }{
		{"prompt\n", "\n> "},
		{"show cli level\n", "admin\n\n> "},
		{"operator\n", "\n> "},
		{"show cli level\n", "operator\n\n> "},
		{"set dynamic-cookie-key backend bk x\n", "Permission denied\n\n> "},
		{"\n", headUnknown},
	}
	for _, st := range steps {
		if _, err := io.WriteString(c, st.in); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(st.want))
		if _, err := io.ReadFull(r, got); err != nil || string(got) != st.want {
			t.Fatalf("%q: got %q, %v; want %q", st.in, got, err, st.want)
		}
	}
	readUntil(t, r, "\n\n> ")
	io.WriteString(c, "prompt\n")
	if rest, err := io.ReadAll(r); err != nil || string(rest) != "\n" {
		t.Fatalf("leaving prompt mode: got %q, %v; want \"\\n\" then close", rest, err)
	}
	if calls := f.takeCalls(); len(calls) != 0 {
		t.Errorf("denied command reached the engine: %q", calls)
	}
}

// TestBatchClosesWhenDrained checks that without prompt the session ends once
// everything received has been answered, even if the client keeps its side
// open.
func TestBatchClosesWhenDrained(t *testing.T) {
	t.Parallel()
	srv := startServer(t, LevelAdmin, newFake())
	c := dial(t, "tcp", srv.Addr().String())
	io.WriteString(c, "show cli level\n")
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "admin\n\n" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	srv := serveAt(t, "127.0.0.1:0", newFake(), func(spec *SocketSpec) { spec.Timeout = 50 * time.Millisecond })
	c := dial(t, "tcp", srv.Addr().String())
	io.WriteString(c, "prompt\n")
	got, err := io.ReadAll(c) // ends when the server closes; the dial deadline bounds it
	if err != nil || string(got) != "\n> " {
		t.Fatalf("got %q, %v; want the prompt then close", got, err)
	}
}

// TestSetTimeoutCLI: `set timeout cli` replaces the socket's idle timeout
// for the session that runs it, and only for it.
func TestSetTimeoutCLI(t *testing.T) {
	t.Parallel()
	srv := serveAt(t, "127.0.0.1:0", newFake(), func(spec *SocketSpec) { spec.Timeout = 30 * time.Second })
	other := dial(t, "tcp", srv.Addr().String())
	io.WriteString(other, "prompt\n")
	or := bufio.NewReader(other)
	readUntil(t, or, "> ")
	c := dial(t, "tcp", srv.Addr().String())
	start := time.Now()
	io.WriteString(c, "prompt\nset timeout cli 1\n")
	got, err := io.ReadAll(c) // ends when the server closes; the dial deadline bounds it
	if err != nil || string(got) != "\n> \n> " {
		t.Fatalf("got %q, %v; want two prompts then close", got, err)
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 10*time.Second {
		t.Errorf("the session closed after %v idle, want about 1s", d)
	}
	io.WriteString(other, "show version\n")
	if got := readUntil(t, or, "\n\n> "); got != "0.0-test\n\n> " {
		t.Errorf("the other session, still open, answered show version with %q", got)
	}
}

func TestLevels(t *testing.T) {
	t.Parallel()
	f := newFake()
	servers := map[Level]*Server{}
	for _, l := range []Level{LevelUser, LevelOperator, LevelAdmin} {
		servers[l] = startServer(t, l, f)
	}
	cases := []struct {
		level   Level
		in, out string
	}{
		{LevelAdmin, "show cli level;operator;show cli level;user;show cli level;operator;show cli level\n",
			"admin\n\n\noperator\n\n\nuser\n\nPermission denied\n\nuser\n\n"},
		{LevelOperator, "show cli level;operator;show cli level;user;show cli level;operator\n",
			"operator\n\n\noperator\n\n\nuser\n\nPermission denied\n\n"},
		{LevelUser, "show cli level;operator;user;show cli level\n", "user\n\nPermission denied\n\n\nuser\n\n"},
		{LevelUser, "operator -;show cli level\n", "Permission denied\nuser\n\n"},
		{LevelOperator, "user x;show cli level\n", "\nuser\n\n"},
	}
	for _, c := range cases {
		if got := tcpExchange(t, servers[c.level], c.in); got != c.out {
			t.Errorf("%v %q: got %q, want %q", c.level, c.in, got, c.out)
		}
	}
	for _, l := range []Level{LevelUser, LevelOperator} {
		for _, cmd := range adminOnly {
			if got := tcpExchange(t, servers[l], cmd+"\n"); got != "Permission denied\n\n" {
				t.Errorf("%v %q: got %q", l, cmd, got)
			}
		}
		if got := tcpExchange(t, servers[l], "get weight bk/s2\n"); got != "5 (initial 5)\n\n" {
			t.Errorf("%v get weight: got %q", l, got)
		}
	}
	if calls := f.takeCalls(); len(calls) != 0 {
		t.Errorf("denied commands reached the engine: %q", calls)
	}
}

// TestHelpByLevel checks that help lists exactly the commands the level may
// run, each once, and always ends with help, prompt and quit.
func TestHelpByLevel(t *testing.T) {
	t.Parallel()
	f := newFake()
	for _, l := range []Level{LevelUser, LevelOperator, LevelAdmin} {
		srv := startServer(t, l, f)
		got := tcpExchange(t, srv, "help\n")
		if !strings.HasPrefix(got, headHelp) || !strings.HasSuffix(got, "\n\n") {
			t.Fatalf("%v: bad listing %q", l, got)
		}
		lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(got, headHelp), "\n\n"), "\n")
		want := 0
		for _, c := range commandTable {
			if c.listed(l) {
				want++
			}
		}
		if len(lines) != want {
			t.Errorf("%v: %d lines, want %d:\n%s", l, len(lines), want, got)
		}
		for _, line := range lines {
			if strings.Contains(line, "set server") && l < LevelAdmin {
				t.Errorf("%v lists an admin command: %q", l, line)
			}
			if strings.HasPrefix(line, "  operator ") && l < LevelOperator {
				t.Errorf("%v lists operator: %q", l, line)
			}
		}
		tail := lines[len(lines)-3:]
		for i, w := range []string{"help", "prompt", "quit"} {
			if !strings.HasPrefix(tail[i], "  "+w+" ") {
				t.Errorf("%v: line %q, want %s", l, tail[i], w)
			}
		}
	}
	srv := startServer(t, LevelAdmin, f)
	got := tcpExchange(t, srv, "help set server\n")
	want := headHelp + fmt.Sprintf("  %-40s: %s\n", "set server <bk>/<srv> <what> ...",
		"change a server's state, health, weight or address")
	if !strings.HasPrefix(got, want) {
		t.Errorf("help set server: got %q", got)
	}
}

// readUntil reads from r up to and including the first occurrence of
// suffix.
func readUntil(t *testing.T, r *bufio.Reader, suffix string) string {
	t.Helper()
	var b strings.Builder
	for !strings.HasSuffix(b.String(), suffix) {
		c, err := r.ReadByte()
		if err != nil {
			t.Fatalf("waiting for %q: %v after %q", suffix, err, b.String())
		}
		b.WriteByte(c)
	}
	return b.String()
}

// TestSuggestions checks that an unknown command proposes the commands
// closest to what was typed, and a partial one the commands it starts.
func TestSuggestions(t *testing.T) {
	t.Parallel()
	srv := startServer(t, LevelAdmin, newFake())
	cases := []struct {
		in          string
		want, never []string // usages that must, and must not, be proposed
	}{
		{"set serer bk/s1 state ready", []string{"set server <bk>/<srv>"}, []string{"show info", "add server"}},
		{"sho stat", []string{"show stat "}, []string{"set server", "del server"}},
		{"show", []string{"show backend", "show cli level", "show info", "show servers state", "show stat "}, []string{"set server"}},
		{"enable dynamic-cookie", []string{"enable dynamic-cookie backend"}, []string{"enable server", "disable dynamic-cookie"}},
	}
	for _, c := range cases {
		got := tcpExchange(t, srv, c.in+"\n")
		if firstLine(got) != headFuzzy {
			t.Errorf("%q: head %q", c.in, firstLine(got))
		}
		for _, w := range c.want {
			if !strings.Contains(got, "\n  "+w) {
				t.Errorf("%q does not propose %q:\n%s", c.in, w, got)
			}
		}
		for _, n := range c.never {
			if strings.Contains(got, "\n  "+n) {
				t.Errorf("%q proposes %q:\n%s", c.in, n, got)
			}
		}
	}
}
