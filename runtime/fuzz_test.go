package runtime

import (
	"bytes"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks the framing and the word splitter on any input:
//   - scanCommand finds the first delimiter that is not escaped, and
//     resuming a scan at any split gives the same result;
//   - Words never returns more than maxWords words, nor a word longer than
//     the line;
//   - words without NUL survive a round trip through escaping and joining.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"show cli level\n", "a;b\n", `a\;b` + "\n", "a\\\nb\n", `x\\;y`, "show <<\nx\n\n",
		"\x00\\", "set dynamic-cookie-key backend bk a\\ b\r\n", "  \t;;\n", `\`,
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		end, _ := scanCommand(in, 0)
		if want := firstDelimiter(in); end != want {
			t.Fatalf("scanCommand(%q) = %d, want %d", in, end, want)
		}
		cut := int(split) % (len(in) + 1)
		e1, resume := scanCommand(in[:cut], 0)
		if e1 < 0 {
			if resume > cut {
				t.Fatalf("resume %d past the bytes scanned (%d)", resume, cut)
			}
			if e2, _ := scanCommand(in, resume); e2 != end {
				t.Fatalf("%q split at %d: resumed scan found %d, whole scan %d", in, cut, e2, end)
			}
		} else if e1 != end {
			t.Fatalf("%q split at %d: prefix scan found %d, whole scan %d", in, cut, e1, end)
		}

		words := Words(in)
		if len(words) > maxWords {
			t.Fatalf("%d words", len(words))
		}
		for _, w := range words {
			if len(w) > len(in) {
				t.Fatalf("word %q longer than the line %q", w, in)
			}
		}

		var clean []string
		for _, w := range words {
			if w != "" && !strings.ContainsRune(w, 0) && w != payloadMark {
				clean = append(clean, w)
			}
		}
		if len(clean) == 0 {
			return
		}
		var line bytes.Buffer
		for i, w := range clean {
			if i > 0 {
				line.WriteByte(' ')
			}
			for j := 0; j < len(w); j++ {
				if c := w[j]; cliClass[c] != 0 {
					line.WriteByte('\\')
				}
				line.WriteByte(w[j])
			}
		}
		if got := Words(line.Bytes()); !slices.Equal(got, clean) {
			t.Fatalf("round trip of %q through %q gave %q", clean, line.Bytes(), got)
		}
		if end, _ := scanCommand(line.Bytes(), 0); end >= 0 {
			t.Fatalf("escaped line %q has a delimiter at %d", line.Bytes(), end)
		}
	})
}

// firstDelimiter is the reference for scanCommand: walk the bytes, skipping
// the byte after each backslash.
func firstDelimiter(b []byte) int {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '\n', ';':
			return i
		}
	}
	return -1
}

// FuzzSession feeds any bytes, in reads of any size, to a whole session
// with the fake engine: the session must end at end of input without
// panicking, reach the engine at most once per command, and write a bounded
// reply per command.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"show cli level;show backend\n", "prompt\nshow cli level\nquit\n",
		"set server bk/s1 addr 127.0.0.2 port +10\nset server bk/s2 weight 50%\n",
		"show cli level <<\nx\n\nadd server bk/n 127.0.0.1:1;del server bk/n\n",
		"operator -;user -;help\n", "set dynamic-cookie-key backend bk a\\;b\r\n",
	} {
		f.Add([]byte(s), uint8(5))
	}
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		fc := newFake()
		conn := &memConn{in: in, chunk: int(chunk) + 1}
		srv := &Server{spec: SocketSpec{Level: LevelAdmin, Timeout: time.Second}, ctl: fc}
		s := &session{srv: srv, conn: conn, ctl: fc, table: commandTable, level: LevelAdmin,
			in: make([]byte, maxCommand)}
		s.serve()
		commands := bytes.Count(in, []byte{'\n'}) + bytes.Count(in, []byte{';'}) + 1
		if calls := fc.takeCalls(); len(calls) > commands {
			t.Fatalf("%d engine calls for at most %d commands", len(calls), commands)
		}
		if conn.out.Len() > commands*16384 {
			t.Fatalf("%d bytes of replies for at most %d commands", conn.out.Len(), commands)
		}
	})
}

// memConn is a net.Conn that reads a fixed input in reads of at most chunk
// bytes, then reports end of file, and records what is written.
type memConn struct {
	in    []byte
	chunk int
	out   bytes.Buffer
}

func (c *memConn) Read(b []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := copy(b[:min(len(b), c.chunk)], c.in)
	c.in = c.in[n:]
	return n, nil
}

func (c *memConn) Write(b []byte) (int, error)      { return c.out.Write(b) }
func (c *memConn) Close() error                     { return nil }
func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzServerLine feeds `add server` names and words through the quoting
// that hands them to the configuration parser: it never panics, and a
// server it accepts keeps exactly the name it was given, so no word can
// leak into another through quoting.
func FuzzServerLine(f *testing.F) {
	for _, seed := range [][2]string{
		{"n1", "127.0.0.1:80"}, {"it's", "127.0.0.1:80 weight 5"}, {"a b", "[::1]:80"},
		{`x\`, "127.0.0.1:1 'maxconn' 3"}, {`"q"`, "$HOME:1"}, {"#c", "127.0.0.1:2 # comment"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, name, line string) {
		words := strings.Fields(line)
		cs, err := parseServerLine("bk", name, words)
		if err != nil {
			return
		}
		if cs.Name != name {
			t.Fatalf("server %q parsed as %q (words %q)", name, cs.Name, words)
		}
		if cs.ID != 0 {
			t.Fatalf("server id %d, want 0 for the engine to number", cs.ID)
		}
	})
}
