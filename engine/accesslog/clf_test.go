package accesslog

import (
	"strings"
	"testing"
)

func TestAppendCLFLog(t *testing.T) {
	gmt := accept.UTC().Format("02/Jan/2006:15:04:05") + " +0000"
	r := baseRecord()
	got := string(AppendCLFLog(nil, &r))
	want := `10.0.1.2 - - [` + gmt + `] "GET /index.html HTTP/1.1" 200 2750 "" "" 33317 007 "http-in" "static" "srv1" 10 0 30 69 109 ---- 1 1 1 1 0 0 0 "" "" `
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	r.Early = true // option logasap
	got = string(AppendCLFLog(nil, &r))
	if want := strings.Replace(strings.Replace(want, " 109 ", " +109 ", 1), " 2750 ", " +2750 ", 1); got != want {
		t.Fatalf("logasap: got\n%q\nwant\n%q", got, want)
	}
	r.Early = false
	r.Server, r.Retries, r.Redisp = "", 2, true
	r.Method = nil
	r.CapturedRequestCookie = []byte(`SID=a"b`)
	r.Cookie = [2]byte{'V', 'N'}
	got = string(AppendCLFLog([]byte("x"), &r))
	want = `x10.0.1.2 - - [` + gmt + `] "<BADREQ>" 200 2750 "" "" 33317 007 "http-in" "static" "<NOSRV>" 10 0 30 69 109 --VN 1 1 1 1 +2 0 0 "SID=a"b" "" `
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func TestAppendCLFLogHeaders(t *testing.T) {
	r := baseRecord()
	r.RequestHeaders = [][]byte{[]byte("ex{a}"), nil}
	got := string(AppendCLFLog(nil, &r))
	if !strings.HasSuffix(got, ` "" "" "ex#7Ba#7D" "" `) {
		t.Errorf("request captures only: %q", got)
	}
	r.ResponseHeaders = [][]byte{[]byte("a|b")}
	got = string(AppendCLFLog(nil, &r))
	if !strings.HasSuffix(got, ` "" "" "ex#7Ba#7D" "" "a#7Cb"`) {
		t.Errorf("both captures: %q", got)
	}
}

// TestAppendCLFLogCut: a request line too long for the line ends it (as
// in httplog); one that fits keeps the whole fields after it that fit.
func TestAppendCLFLogCut(t *testing.T) {
	r := baseRecord()
	r.URI = []byte("/" + strings.Repeat("a", 1500))
	got := AppendCLFLog(nil, &r)
	if len(got) != MaxLine || !strings.HasSuffix(string(got), "aaaa") {
		t.Fatalf("cut in the request line: %d bytes ending %q", len(got), got[len(got)-10:])
	}
	// The fields after the request line, each with the space before it.
	fields := []string{" 200", " 2750", ` "" ""`, " 33317", " 007", ` "http-in"`, ` "static"`, ` "srv1"`,
		" 10", " 0", " 30", " 69", " 109", " ----", " 1", " 1", " 1", " 1", " 0", " 0", " 0", ` ""`, ` ""`, " "}
	for n := 850; n < 1000; n++ {
		r.URI = []byte("/" + strings.Repeat("a", n))
		want := "10.0.1.2 - - [" + accept.UTC().Format("02/Jan/2006:15:04:05") + ` +0000] "GET ` + string(r.URI) + ` HTTP/1.1"`
		if len(want) > MaxLine {
			break
		}
		for _, f := range fields {
			if len(want)+len(f) > MaxLine {
				break
			}
			want += f
		}
		if got := string(AppendCLFLog(nil, &r)); got != want {
			t.Fatalf("URI of %d bytes: %d bytes ending %q, want %d ending %q", n+1, len(got), got[len(got)-20:], len(want), want[len(want)-20:])
		}
	}
}
