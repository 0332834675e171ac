package accesslog

import (
	"bytes"
	"net"
	"strconv"
	"testing"
)

// FuzzAppendHTTPLog checks the request line rendering on any bytes: the
// line fits in MaxLine, %r holds only printable bytes and no quote but
// its own, and an uncut %r decodes back to the request line.
func FuzzAppendHTTPLog(f *testing.F) {
	f.Add([]byte("GET"), []byte("/index.html"), []byte("HTTP/1.1"))
	f.Add([]byte("POST"), []byte("/a\"b#c\x00\xff"), []byte("HTTP/1.0"))
	f.Add([]byte(nil), []byte(nil), []byte(nil))
	f.Fuzz(func(t *testing.T, method, uri, version []byte) {
		r := baseRecord()
		r.Method, r.URI, r.Version = method, uri, version
		line := AppendHTTPLog(nil, &r)
		if len(line) > MaxLine {
			t.Fatalf("line of %d bytes", len(line))
		}
		if again := AppendHTTPLog([]byte("x"), &r); !bytes.Equal(again[1:], line) {
			t.Fatalf("appending to a buffer changed the line")
		}
		q := bytes.IndexByte(line, '"')
		if q < 0 {
			t.Fatalf("no request in %q", line)
		}
		req := line[q+1:]
		closed := bytes.HasSuffix(req, []byte(`"`))
		if closed {
			req = req[:len(req)-1]
		}
		for _, c := range req {
			if c < 0x20 || c > 0x7e || c == '"' {
				t.Fatalf("byte %#x in %q", c, req)
			}
		}
		if len(line) >= MaxLine-3 {
			return // cut, or maybe cut
		}
		if !closed {
			t.Fatalf("uncut line without closing quote: %q", line)
		}
		want := "<BADREQ>"
		if method != nil {
			want = string(method) + " " + string(uri) + " " + string(version)
		}
		if got := decode(req); got != want {
			t.Fatalf("decoded %q, want %q", got, want)
		}
	})
}

// decode undoes the #XX escapes of %r.
func decode(s []byte) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && i+2 < len(s) {
			n, _ := strconv.ParseUint(string(s[i+1:i+3]), 16, 8)
			b = append(b, byte(n))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// FuzzUDPAddress checks that an accepted log address always yields a
// host and a valid port.
func FuzzUDPAddress(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "127.0.0.1:514", "[::1]:1514", "udp6@::1:", "ring@x", "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		hp, err := udpAddress(addr)
		if err != nil {
			return
		}
		host, port, err := net.SplitHostPort(hp)
		if err != nil || host == "" {
			t.Fatalf("%q gave %q: %v", addr, hp, err)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			t.Fatalf("%q gave port %q", addr, port)
		}
	})
}
