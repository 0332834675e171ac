package accesslog

import (
	"bytes"
	"strings"
	"testing"
)

// TestAppendCLFLog checks lines against the shape haproxy 2.6.12 logs
// with `option httplog clf` (captured from it).
func TestAppendCLFLog(t *testing.T) {
	date := accept.UTC().Format("02/Jan/2006:15:04:05") + " +0000"
	cases := []struct {
		name string
		edit func(r *Record)
		want string
	}{
		{"plain", func(r *Record) {},
			`10.0.1.2 - - [` + date + `] "GET /index.html HTTP/1.1" 200 2750 "" "" 33317 007 "http-in" "static" "srv1" 10 0 30 69 109 ---- 1 1 1 1 0 0 0 "" "" `},
		{"bad request", func(r *Record) {
			r.Backend, r.Server = "http-in", ""
			r.TR, r.Tw, r.Tc, r.Tr, r.Ta = -1, -1, -1, -1, 0
			r.Status, r.BytesOut = 400, 0
			r.Term, r.Finish = TermProxy, FinishRequest
			r.Method, r.URI, r.Version = nil, nil, nil
		}, `10.0.1.2 - - [` + date + `] "<BADREQ>" 400 0 "" "" 33317 007 "http-in" "http-in" "<NOSRV>" -1 -1 -1 -1 0 PR-- 1 1 1 1 0 0 0 "" "" `},
		{"captures, cookie letters, redispatch, queues, escapes", func(r *Record) {
			r.Cookie = [2]byte{'V', 'N'}
			r.CapturedRequestCookie = []byte("SID=abc")
			r.Retries, r.Redisp, r.SrvQueue, r.BeQueue = 1, true, 2, 3
			r.URI = []byte(`/"q`)
		}, `10.0.1.2 - - [` + date + `] "GET /#22q HTTP/1.1" 200 2750 "" "" 33317 007 "http-in" "static" "srv1" 10 0 30 69 109 --VN 1 1 1 1 +1 2 3 "SID=abc" "" `},
	}
	for _, tc := range cases {
		r := baseRecord()
		tc.edit(&r)
		if got := string(AppendCLFLog(nil, &r)); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
	// The line is cut at MaxLine.
	r := baseRecord()
	r.URI = bytes.Repeat([]byte("a"), 2*MaxLine)
	if got := AppendCLFLog(nil, &r); len(got) != MaxLine || !strings.HasPrefix(string(got), "10.0.1.2 - - [") {
		t.Errorf("long line: %d bytes", len(got))
	}
}
