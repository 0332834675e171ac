package accesslog

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// accept is the request date of the test records, in local time.
var accept = time.Date(2026, time.February, 6, 9, 4, 5, 7_900_000, time.Local)

// acceptText is how accept prints in %tr.
const acceptText = "06/Feb/2026:09:04:05.007"

// baseRecord returns a record of a plain proxied request.
func baseRecord() Record {
	return Record{
		Client:   netip.MustParseAddrPort("10.0.1.2:33317"),
		Accept:   accept,
		Frontend: "http-in",
		Backend:  "static",
		Server:   "srv1",
		TR:       10, Tw: 0, Tc: 30, Tr: 69, Ta: 109,
		Status:   200,
		BytesOut: 2750,
		ActConn:  1, FeConn: 1, BeConn: 1, SrvConn: 1,
		Method: []byte("GET"), URI: []byte("/index.html"), Version: []byte("HTTP/1.1"),
	}
}

func TestAppendHTTPLog(t *testing.T) {
	const base = "10.0.1.2:33317 [" + acceptText + "] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "
	cases := []struct {
		name string
		edit func(r *Record)
		want string
	}{
		{"plain", func(r *Record) {}, base + `"GET /index.html HTTP/1.1"`},
		{"no server, bad request, timers not reached", func(r *Record) {
			r.Backend, r.Server = "http-in", ""
			r.TR, r.Tw, r.Tc, r.Tr, r.Ta = -1, -1, -1, -1, 0
			r.Status, r.BytesOut = 400, 0
			r.Term, r.Finish = TermClientAbort, FinishRequest
			r.Method, r.URI, r.Version = nil, nil, nil
		}, "10.0.1.2:33317 [" + acceptText + "] http-in http-in/<NOSRV> -1/-1/-1/-1/0 400 0 - - CR-- 1/1/1/1/0 0/0 \"<BADREQ>\""},
		{"retries and redispatch", func(r *Record) {
			r.Retries, r.Redisp = 3, true
			r.Term, r.Finish = TermServerAbort, FinishConnect
		}, strings.Replace(strings.Replace(base, "1/1/1/1/0", "1/1/1/1/+3", 1), "----", "SC--", 1) + `"GET /index.html HTTP/1.1"`},
		{"option logasap", func(r *Record) { r.Early = true },
			strings.Replace(base, "10/0/30/69/109 200 2750", "10/0/30/69/+109 200 +2750", 1) + `"GET /index.html HTTP/1.1"`},
		{"retries without redispatch", func(r *Record) { r.Retries = 2 },
			strings.Replace(base, "1/1/1/1/0", "1/1/1/1/2", 1) + `"GET /index.html HTTP/1.1"`},
		{"queues and counters", func(r *Record) {
			r.ActConn, r.FeConn, r.BeConn, r.SrvConn, r.SrvQueue, r.BeQueue = 1234, 56, 789, 10, 11, 12
		}, strings.Replace(base, "1/1/1/1/0 0/0", "1234/56/789/10/0 11/12", 1) + `"GET /index.html HTTP/1.1"`},
		{"cookie letters and captures", func(r *Record) {
			r.Cookie = [2]byte{'V', 'N'}
			r.CapturedRequestCookie = []byte("SID=abc")
			r.CapturedResponseCookie = []byte(`SID=a"b#c`) // printed as they are
		}, strings.Replace(base, "- - ----", `SID=abc SID=a"b#c --VN`, 1) + `"GET /index.html HTTP/1.1"`},
		{"empty capture", func(r *Record) { r.CapturedRequestCookie = []byte{} },
			strings.Replace(base, "- - ----", " - ----", 1) + `"GET /index.html HTTP/1.1"`},
		{"every termination letter", func(r *Record) { r.Term, r.Finish = TermUp, FinishTarpit },
			strings.Replace(base, "----", "UT--", 1) + `"GET /index.html HTTP/1.1"`},
		{"unknown enum values", func(r *Record) { r.Term, r.Finish = Termination(99), Finish(8) },
			strings.Replace(base, "----", "??--", 1) + `"GET /index.html HTTP/1.1"`},
		{"ipv6 client", func(r *Record) { r.Client = netip.MustParseAddrPort("[2001:db8::1]:443") },
			strings.Replace(base, "10.0.1.2:33317", "2001:db8::1:443", 1) + `"GET /index.html HTTP/1.1"`},
		{"ipv4-mapped client", func(r *Record) { r.Client = netip.MustParseAddrPort("[::ffff:10.0.0.1]:80") },
			strings.Replace(base, "10.0.1.2:33317", "::ffff:10.0.0.1:80", 1) + `"GET /index.html HTTP/1.1"`},
		{"no client address", func(r *Record) { r.Client = netip.AddrPort{} },
			strings.Replace(base, "10.0.1.2:33317", "-:-", 1) + `"GET /index.html HTTP/1.1"`},
		{"large byte count and status", func(r *Record) { r.BytesOut, r.Status = 1<<40, 504 },
			strings.Replace(base, "200 2750", "504 1099511627776", 1) + `"GET /index.html HTTP/1.1"`},
		{"escapes in request line", func(r *Record) {
			r.URI = []byte("/a\"b#c\x01\x1f\x7f\x80\xff d{|}e%20")
		}, base + `"GET /a#22b#23c#01#1F#7F#80#FF d{|}e%20 HTTP/1.1"`},
		{"escapes in method and version", func(r *Record) {
			r.Method, r.Version = []byte("G\tT"), []byte("HTTP/1.0\r")
		}, base + `"G#09T /index.html HTTP/1.0#0D"`},
		{"empty version", func(r *Record) { r.Version = nil }, base + `"GET /index.html "`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := baseRecord()
			c.edit(&r)
			got := string(AppendHTTPLog(nil, &r))
			if got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestAppendHTTPLogHeaders(t *testing.T) {
	r := baseRecord()
	r.RequestHeaders = [][]byte{[]byte("host"), []byte("a\"b#c{d|e}f\\ g\x01\xe9"), {}}
	r.ResponseHeaders = [][]byte{nil}
	want := " 0/0 {host|a#22b#23c#7Bd#7Ce#7Df\\ g#01#E9|} {} \"GET /index.html HTTP/1.1\""
	if got := string(AppendHTTPLog(nil, &r)); !strings.HasSuffix(got, want) {
		t.Errorf("got %q, want it to end with %q", got, want)
	}
}

func TestAppendHTTPLogAppends(t *testing.T) {
	r := baseRecord()
	dst := []byte("prefix ")
	got := AppendHTTPLog(dst, &r)
	want := "prefix " + string(AppendHTTPLog(nil, &r))
	if string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestAppendHTTPLogDate(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2009, time.December, 31, 23, 59, 59, 999_999_999, time.Local),
		time.Date(2026, time.January, 1, 0, 0, 0, 0, time.Local),
		time.Date(2026, time.July, 9, 12, 3, 4, 50_000_000, time.UTC), // printed in local time
	} {
		r := baseRecord()
		r.Accept = tm
		line := string(AppendHTTPLog(nil, &r))
		want := "[" + tm.Local().Format("02/Jan/2006:15:04:05.000") + "]"
		if !strings.Contains(line, " "+want+" ") {
			t.Errorf("%v: line %q lacks %q", tm, line, want)
		}
	}
}

// prefixLen is the length of the line of baseRecord before %r.
func prefixLen(t *testing.T) int {
	r := baseRecord()
	line := AppendHTTPLog(nil, &r)
	return bytes.IndexByte(line, '"')
}

func TestAppendHTTPLogCut(t *testing.T) {
	p := prefixLen(t)
	// Room left for the request line, opening quote included.
	room := MaxLine - p
	cases := []struct {
		name string
		uri  string
		want string // the end of the line
	}{
		{"fits exactly", "/" + strings.Repeat("a", room-len(`"GET  HTTP/1.1"`)-1), `a HTTP/1.1"`},
		{"one byte too long loses the closing quote", "/" + strings.Repeat("a", room-len(`"GET  HTTP/1.1"`)), `a HTTP/1.1`},
		{"long plain", "/" + strings.Repeat("a", 3000), "aaaa"},
		// With the escape sequence starting 4 bytes before the end, it fits
		// and the next plain byte takes the last one.
		{"escape fits", "/" + strings.Repeat("a", room-len(`"GET /`)-4) + "\"bbbb", `aa#22b`},
		// Starting 3 bytes before the end it does not fit: the text stops
		// there and the quote still fits.
		{"escape does not fit", "/" + strings.Repeat("a", room-len(`"GET /`)-3) + "\"bbbb", `aaa"`},
		{"escape does not fit, one byte left", "/" + strings.Repeat("a", room-len(`"GET /`)-1) + "\"bbbb", `aaa"`},
		{"no byte left after plain bytes", "/" + strings.Repeat("a", room-len(`"GET /`)) + "\"bbbb", `aaa`},
		{"only escapes", "/" + strings.Repeat("\"", 2000), `#22#22"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := baseRecord()
			r.URI = []byte(c.uri)
			line := string(AppendHTTPLog(nil, &r))
			if len(line) > MaxLine {
				t.Fatalf("line of %d bytes, longer than %d", len(line), MaxLine)
			}
			if !strings.HasSuffix(line, c.want) {
				t.Fatalf("line ends with %q, want %q", line[max(0, len(line)-20):], c.want)
			}
		})
	}
	t.Run("escapes stop at the first that does not fit", func(t *testing.T) {
		r := baseRecord()
		r.URI = []byte("/" + strings.Repeat("\"", 2000))
		line := string(AppendHTTPLog(nil, &r))
		// The sequences start after `"GET /`; each takes 3 bytes and the
		// last must end at least one byte before MaxLine.
		start := p + len(`"GET /`)
		n := (MaxLine - 1 - start) / 3
		if want := start + 3*n + 1; len(line) != want {
			t.Fatalf("line of %d bytes, want %d", len(line), want)
		}
	})
	t.Run("long names cut the line before the request", func(t *testing.T) {
		r := baseRecord()
		r.Frontend = strings.Repeat("f", 2000)
		line := AppendHTTPLog(nil, &r)
		if len(line) != MaxLine || bytes.IndexByte(line, '"') >= 0 {
			t.Fatalf("line of %d bytes, quote at %d", len(line), bytes.IndexByte(line, '"'))
		}
	})
}

func TestAppendConnectLog(t *testing.T) {
	got := string(AppendConnectLog(nil, netip.MustParseAddrPort("10.0.1.2:33312"), netip.MustParseAddrPort("10.0.3.31:8012"), "www"))
	if want := "Connect from 10.0.1.2:33312 to 10.0.3.31:8012 (www/HTTP)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestRecordNull(t *testing.T) {
	var r Record
	if !r.Null() {
		t.Fatal("a record without request bytes is not null")
	}
	r.RequestBytes = 1
	if r.Null() {
		t.Fatal("a record with request bytes is null")
	}
}

func TestLetters(t *testing.T) {
	var terms, finishes []byte
	for v := TermNone; v <= TermUp; v++ {
		terms = append(terms, v.Letter())
	}
	for v := FinishNone; v <= FinishTarpit; v++ {
		finishes = append(finishes, v.Letter())
	}
	// The letters of HAProxy's configuration manual, section 8.5.
	if string(terms) != "-LcCsSPRIDKU" || string(finishes) != "-RCHDLQT" {
		t.Fatalf("letters %q and %q", terms, finishes)
	}
}
