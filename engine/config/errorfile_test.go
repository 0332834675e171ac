package config

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// debian503 is /etc/haproxy/errors/503.http as Debian ships it.
const debian503 = "HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n" +
	"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n\n"

// TestParseErrorMessage checks what is sent for an error file against what
// haproxy 2.6.12 sent on the wire for it (head, and whether the connection
// may stay open) and logged as %B (Size).
func TestParseErrorMessage(t *testing.T) {
	tests := []struct {
		name, raw, head string
		http10, close   bool
		size            int
	}{
		{"debian 503", debian503, "HTTP/1.0 503 Service Unavailable\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n", true, true, 216},
		{"1.1 with length", "HTTP/1.1 503 Busy\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Mixed-Case: A  B  \r\n\r\nbusy\n",
			"HTTP/1.1 503 Busy\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nx-mixed-case: A  B\r\n", false, false, 94},
		{"1.1 without length", "HTTP/1.1 503 Busy\r\nContent-Type: text/plain\r\n\r\nbusy\n", "HTTP/1.1 503 Busy\r\ncontent-type: text/plain\r\n", false, true, 63},
		{"connection close", "HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 5\r\n\r\nbusy\n", "HTTP/1.1 503 Busy\r\ncontent-length: 5\r\n", false, true, 71},
		{"1.0 with length", "HTTP/1.0 503 Busy\r\nContent-Length: 5\r\n\r\nbusy\n", "HTTP/1.0 503 Busy\r\ncontent-length: 5\r\n", true, false, 56},
		{"bare LF", "HTTP/1.1 503 Busy\nContent-Length: 5\nX-A:b\n\nbusy\n", "HTTP/1.1 503 Busy\r\ncontent-length: 5\r\nx-a: b\r\n", false, false, 60},
		{"other status", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n", "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n", false, false, 52},
		{"204", "HTTP/1.1 204 No\r\n\r\n", "HTTP/1.1 204 No\r\n", false, false, 34},
		{"304 with length", "HTTP/1.1 304 X\r\nContent-Length: 3\r\n\r\n", "HTTP/1.1 304 X\r\ncontent-length: 3\r\n", false, false, 48},
		{"length twice", "HTTP/1.1 503 X\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", "HTTP/1.1 503 X\r\ncontent-length: 3\r\n", false, false, 51},
		{"length list", "HTTP/1.1 503 X\r\nContent-Length: 3, 3\r\n\r\nabc", "HTTP/1.1 503 X\r\ncontent-length: 3\r\n", false, false, 51},
		{"length with zero", "HTTP/1.1 503 X\r\nContent-Length: 03\r\n\r\nabc", "HTTP/1.1 503 X\r\ncontent-length: 03\r\n", false, false, 52},
		{"length with spaces", "HTTP/1.1 503 X\r\ncontent-length:   7   \r\n\r\n1234567", "HTTP/1.1 503 X\r\ncontent-length: 7\r\n", false, false, 55},
		{"no reason", "HTTP/1.1 503\r\nContent-Length: 3\r\n\r\nabc", "HTTP/1.1 503 \r\ncontent-length: 3\r\n", false, false, 50},
		{"version above 1.1", "HTTP/2.0 503 X\r\nContent-Length: 3\r\n\r\nabc", "HTTP/1.1 503 X\r\ncontent-length: 3\r\n", false, false, 51},
		{"101", "HTTP/1.1 101 X\r\n\r\n", "HTTP/1.1 101 X\r\n", false, true, 33},
		{"hop-by-hop fields kept", "HTTP/1.1 503 X\r\nKeep-Alive: timeout=5\r\nUpgrade: foo\r\nProxy-Connection: close\r\nContent-Length: 3\r\n\r\nabc",
			"HTTP/1.1 503 X\r\nkeep-alive: timeout=5\r\nupgrade: foo\r\nproxy-connection: close\r\ncontent-length: 3\r\n", false, false, 101},
		{"empty head 1.1", "HTTP/1.1 503 X\r\n\r\n", "HTTP/1.1 503 X\r\n", false, true, 33},
		{"empty head 1.0", "HTTP/1.0 503 X\r\n\r\n", "HTTP/1.0 503 X\r\n", true, true, 33},
		{"folded", "HTTP/1.1 503 X\r\nA: a\r\n  folded  \r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 503 X\r\na: a    folded\r\ncontent-length: 0\r\n", false, false, 60},
		{"folded, bytes above 0x7f", "HTTP/1.1 503 X\r\nA: \xff\r\n \xfe\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 503 X\r\na: \xff   \xfe\r\ncontent-length: 0\r\n", false, false, 54},
		{"other coding", "HTTP/1.1 503 X\r\nTransfer-Encoding: gzip\r\n\r\nabc", "HTTP/1.1 503 X\r\ntransfer-encoding: gzip\r\n", false, true, 57},
		{"connection options", "HTTP/1.1 503 X\r\nConnection: keep-alive, foo\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 503 X\r\nconnection: foo\r\ncontent-length: 0\r\n", false, false, 73},
		{"empty lines first", "\r\nHTTP/1.1 503 X\r\n\r\n", "HTTP/1.1 503 X\r\n", false, true, 33},
		{"two spaces", "HTTP/1.1  503 X\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 503 X\r\ncontent-length: 0\r\n", false, false, 48},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, msg := parseErrorMessage([]byte(tt.raw), 101, 16384)
			if msg != "" {
				t.Fatalf("refused: %s", msg)
			}
			if string(f.Head) != tt.head || f.HTTP10 != tt.http10 || f.Close != tt.close || f.Size != tt.size {
				t.Errorf("got head %q http10 %v close %v size %d\nwant head %q http10 %v close %v size %d",
					f.Head, f.HTTP10, f.Close, f.Size, tt.head, tt.http10, tt.close, tt.size)
			}
			if !strings.HasSuffix(tt.raw, string(f.Body)) {
				t.Errorf("body %q is not the end of the file", f.Body)
			}
		})
	}
}

// errorMessageRefusals are error files haproxy -c refuses, and its message.
var errorMessageRefusals = []struct{ raw, msg string }{
	{"garbage\r\n\r\n", "unable to parse headers (error offset: 0)"},
	{"http/1.1 503 X\r\n\r\n", "unable to parse headers (error offset: 0)"},
	{"HTTP/1.1 5x3 X\r\n\r\n", "unable to parse headers (error offset: 10)"},
	{"HTTP/1.1 503X\r\n\r\n", "unable to parse headers (error offset: 12)"},
	{"HTTP/1.1 503 X\rY\r\n\r\n", "unable to parse headers (error offset: 15)"},
	{"HTTP/1.1 503 X\r\nBad Header: x\r\n\r\n", "unable to parse headers (error offset: 19)"},
	{"HTTP/1.1 503 X\r\nX: a\r\nY\r\n\r\n", "unable to parse headers (error offset: 23)"},
	{"HTTP/1.1 503 X\r\n: v\r\n\r\n", "unable to parse headers (error offset: 16)"},
	{"HTTP/1.1 503 X\r\n x: folded\r\n\r\n", "unable to parse headers (error offset: 16)"},
	{"HTTP/1.1 503 X\r\nA(: b\r\n\r\n", "unable to parse headers (error offset: 17)"},
	{"HTTP/1.1 503 X\r\nA : b\r\n\r\n", "unable to parse headers (error offset: 17)"},
	{"HTTP/1.1 503 X\r\nA: b\rc\r\n\r\n", "unable to parse headers (error offset: 21)"},
	{"HTTP/1.1 503 X", "unable to parse headers (error offset: -2)"},
	{"HTTP/1.1 503 X\r\n", "unable to parse headers (error offset: -2)"},
	{"HTTP/1.1 503 X\r\nA: b", "unable to parse headers (error offset: -2)"},
	{"HTTP/1.1 503 X\r\nContent-Length: abc\r\n\r\n", "unable to parse headers (error offset: 32)"},
	{"HTTP/1.1 503 X\r\nContent-Length: +3\r\n\r\nabc", "unable to parse headers (error offset: 32)"},
	{"HTTP/1.1 503 X\r\nContent-Length: \r\n\r\n", "unable to parse headers (error offset: 32)"},
	{"HTTP/1.1 503 X\r\nContent-Length: 3,4\r\n\r\nabc", "unable to parse headers (error offset: 32)"},
	{"HTTP/1.1 503 X\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc", "unable to parse headers (error offset: 51)"},
	{"HTTP/1.10 503 X\r\n\r\n", "invalid http version (HTTP/1.10)"},
	{"HTTP/1 503 X\r\n\r\n", "invalid http version (HTTP/1)"},
	{"HTTP/1.1 100 X\r\nContent-Length: 3\r\n\r\nabc", "invalid http status code for an error message (100)"},
	{"HTTP/1.1 199 X\r\n\r\n", "invalid http status code for an error message (199)"},
	{"HTTP/1.1 503 X\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "chunk-encoded payload not supported"},
	{"HTTP/1.1 503 X\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc", "chunk-encoded payload not supported"},
	{"HTTP/1.1 503 X\r\nContent-Length: 0\r\n\r\nx", "message payload not expected"},
	{"HTTP/1.1 204 X\r\n\r\nx", "message payload not expected"},
	{"HTTP/1.1 503 X\r\nContent-Length: 3\r\n\r\nabcdef", "payload size does not match the announced content-length (6 != 3)"},
	{"HTTP/1.1 503 X\r\nContent-Length: 10\r\n\r\nabc", "payload size does not match the announced content-length (3 != 10)"},
}

// TestParseErrorMessageRefused checks the refusals (the messages are
// haproxy -c's, see TestErrorFileMessagesHAProxy).
func TestParseErrorMessageRefused(t *testing.T) {
	for _, tt := range errorMessageRefusals {
		if f, msg := parseErrorMessage([]byte(tt.raw), 101, 16384); msg != tt.msg {
			t.Errorf("%q: got %q (%+v), want %q", tt.raw, msg, f, tt.msg)
		}
	}
}

// TestErrorMessageRoom checks the largest payload HAProxy takes for a head
// at three buffer sizes (found with haproxy -c by bisection) and the limit
// on field lines.
func TestErrorMessageRoom(t *testing.T) {
	head := "HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n"
	for _, tt := range []struct{ bufSize, most int }{{8192, 7988}, {16384, 16180}, {65536, 65332}} {
		for _, n := range []int{tt.most, tt.most + 1} {
			_, msg := parseErrorMessage([]byte(head+strings.Repeat("a", n)), 101, tt.bufSize)
			if ok := n == tt.most; (msg == "") != ok {
				t.Errorf("bufsize %d, payload %d: %q", tt.bufSize, n, msg)
			} else if !ok && msg != "unable to add payload into the HTX message" {
				t.Errorf("bufsize %d, payload %d: %q", tt.bufSize, n, msg)
			}
		}
	}
	short := "HTTP/1.1 503 X\r\n" + strings.Repeat("X-Long: "+strings.Repeat("v", 90)+"\r\n", 100) + "\r\n"
	if _, msg := parseErrorMessage([]byte(short), 101, 8192); msg != "unable to add headers into the HTX message" {
		t.Errorf("heads past the buffer: %q", msg)
	}
	fields := func(n int) []byte {
		return []byte("HTTP/1.1 503 X\r\n" + strings.Repeat("A: b\r\n", n) + "\r\n")
	}
	if _, msg := parseErrorMessage(fields(100), 101, 16384); msg != "" {
		t.Errorf("100 fields with maxhdr 101: %q", msg)
	}
	if _, msg := parseErrorMessage(fields(101), 101, 16384); !strings.HasPrefix(msg, "unable to parse headers") {
		t.Errorf("101 fields with maxhdr 101: %q", msg)
	}
}

// TestErrorFileDirective checks the `errorfile` line against haproxy -c:
// the statuses it takes, its arguments and the files it refuses.
func TestErrorFileDirective(t *testing.T) {
	dir := t.TempDir()
	ok := writeFile(t, dir, "ok.http", "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy")
	bad := writeFile(t, dir, "bad.http", "HTTP/1.1 503 X\r\nContent-Length: 10\r\n\r\nabc")
	big := writeFile(t, dir, "big.http", "HTTP/1.1 503 X\r\n\r\n"+strings.Repeat("a", 20000))
	text := func(line string) string { return header + "backend be\n    " + line + "\n" }
	line := lineOf(text("X"), "    X")

	for _, code := range errorCodes {
		cfg := mustParse(t, text("errorfile "+itoa(code)+" "+ok))
		f := cfg.Backend("be").ErrorFile(code)
		if f == nil || f.Code != code || f.Path != ok || f.File != "t.cfg" || f.Line != line {
			t.Errorf("errorfile %d: %+v", code, f)
		}
	}
	for _, tt := range []struct{ args, msg string }{
		{"414 " + ok, "status code '414' not handled."},
		{"505 " + ok, "status code '505' not handled."},
		{"abc " + ok, "status code '0' not handled."},
		{"-1 " + ok, "status code '-1' not handled."},
		{"99999999999 " + ok, "status code '1215752191' not handled."},
		{"503", "expects <status_code> and <file> as arguments."},
		{"", "expects <status_code> and <file> as arguments."},
		{"503 " + filepath.Join(dir, "none.http"), "error opening file '" + filepath.Join(dir, "none.http") + "'."},
		{"503 " + dir, "error reading file '" + dir + "'."},
		{"503 " + bad, "'" + bad + "': payload size does not match the announced content-length (3 != 10)"},
		{"503 " + big, "'" + big + "': unable to add payload into the HTX message"},
	} {
		expectDiag(t, text("errorfile "+tt.args), Alert, line, tt.msg)
	}
	expectDiag(t, text("errorfile 503 "+big), Warning, line, "custom error message file '"+big+"' larger than 16384 bytes. Truncating.")

	// As atol reads it, and with an argument too many, ignored.
	cfg := mustParse(t, text("errorfile 503x "+ok+" extra"))
	if f := cfg.Backend("be").ErrorFile(503); f == nil {
		t.Error("errorfile 503x: not set")
	}
	cfg = mustParse(t, text("errorfile 408 /dev/null"))
	if f := cfg.Backend("be").ErrorFile(408); f == nil || !f.Empty() {
		t.Errorf("errorfile 408 /dev/null: %+v", f)
	}
	if cfg.Backend("be").ErrorFile(503) != nil || cfg.Backend("be").ErrorFile(999) != nil {
		t.Error("an errorfile nobody declared")
	}
}

// TestErrorFileInheritance checks that a proxy starts from its defaults
// section's errorfiles, whatever its side, and that its own line for a
// status replaces the inherited one.
func TestErrorFileInheritance(t *testing.T) {
	dir := t.TempDir()
	d503 := writeFile(t, dir, "d503.http", "HTTP/1.1 503 D\r\nContent-Length: 0\r\n\r\n")
	d504 := writeFile(t, dir, "d504.http", "HTTP/1.1 504 D\r\nContent-Length: 0\r\n\r\n")
	own := writeFile(t, dir, "own.http", "HTTP/1.1 503 Own\r\nContent-Length: 0\r\n\r\n")
	cfg := mustParse(t, `defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 2s
    errorfile 503 `+d503+`
    errorfile 504 `+d504+`

frontend fe
    bind 127.0.0.1:18080
    errorfile 503 `+own+`
    default_backend be

backend be

backend mine
    errorfile 503 `+own+`
    errorfile 503 `+d504+`

defaults
    mode http

backend fresh
`)
	head := func(px *Proxy, code int) string {
		if f := px.ErrorFile(code); f != nil {
			return string(f.Head)
		}
		return "none"
	}
	fe := cfg.Proxies[0]
	tests := []struct {
		px   *Proxy
		code int
		want string
	}{
		{fe, 503, "HTTP/1.1 503 Own\r\ncontent-length: 0\r\n"},
		{fe, 504, "HTTP/1.1 504 D\r\ncontent-length: 0\r\n"},
		{cfg.Backend("be"), 503, "HTTP/1.1 503 D\r\ncontent-length: 0\r\n"},
		{cfg.Backend("be"), 504, "HTTP/1.1 504 D\r\ncontent-length: 0\r\n"},
		{cfg.Backend("mine"), 503, "HTTP/1.1 504 D\r\ncontent-length: 0\r\n"}, // the last line wins
		{cfg.Defaults[0], 503, "HTTP/1.1 503 D\r\ncontent-length: 0\r\n"},
		{cfg.Backend("fresh"), 503, "none"},
	}
	for _, tt := range tests {
		if got := head(tt.px, tt.code); got != tt.want {
			t.Errorf("%s %d: %q, want %q", tt.px.Name, tt.code, got, tt.want)
		}
	}
	if a, b := cfg.Backend("be").ErrorFile(503), cfg.Defaults[0].ErrorFile(503); a.Head == nil || &a.Head[0] != &b.Head[0] {
		t.Error("the file is not shared between the proxies using it")
	}
}

// TestErrorFileMessagesHAProxy loads error files with haproxy -c and with
// Parse and requires the same verdict and, for a refused file, the same
// message (haproxy prints it after "errorfile : ").
func TestErrorFileMessagesHAProxy(t *testing.T) {
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy is not on PATH; install haproxy 2.6 to compare errorfile messages")
	}
	files := []string{
		debian503,
		"HTTP/1.1 503 X\nA: b\n\nbody",
		"HTTP/1.1 503 X\r\nX: a\r\n folded\r\n\r\n",
		"HTTP/1.1 304 X\r\nContent-Length: 3\r\n\r\n",
	}
	for _, tt := range errorMessageRefusals {
		files = append(files, tt.raw)
	}
	dir := t.TempDir()
	for i, raw := range files {
		path := writeFile(t, dir, "e"+itoa(i)+".http", raw)
		text := header + "backend be\n    errorfile 503 " + path + "\n"
		cfg := writeFile(t, dir, "e"+itoa(i)+".cfg", text)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		outb, _ := exec.CommandContext(ctx, haproxy, "-c", "-f", cfg).CombinedOutput()
		cancel()
		out := string(outb)
		want := ""
		if at := strings.Index(out, "errorfile : "); at >= 0 {
			want = out[at+len("errorfile : "):]
			want = want[:strings.IndexByte(want, '\n')]
		}
		got := ""
		_, diags := parse(t, text)
		for _, d := range diags {
			if d.Severity == Alert {
				got = d.Message
			}
		}
		if got != want {
			t.Errorf("%q: tether %q, haproxy %q", raw, got, want)
		}
	}
}
