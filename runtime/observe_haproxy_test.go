package runtime

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startStatusOrigin answers GET /<code> with that status, on 127.0.0.1
// until the end of the test.
func startStatusOrigin(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil || code < 200 {
			code = 200
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(code)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

// TestDifferentialObserve runs haproxy 2.6 and tether with servers whose
// traffic counts towards their health (`observe layer7` and `layer4`,
// `error-limit`, each `on-error`), sends the same requests through both,
// and compares after each step the servers' check columns, hanafail, and
// at the end every line both logged: 5xx responses in a row take a server
// down at once (mark-down) or count as failed checks (fail-check), a good
// response or a 501 ends a run, failed connections count under layer4
// and leave the server one check from down (sudden-death), and fastinter
// changes nothing but the next check's time.
func TestDifferentialObserve(t *testing.T) {
	t.Parallel()
	o := startStatusOrigin(t)
	dead := refusingAddr(t)
	pr := startLogged(t, 4, func(stats int, fronts []int, log net.Addr) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
    log %s local0
`+testDefaults+`    retries 1
frontend fe1
    bind 127.0.0.1:%d
    default_backend down
frontend fe2
    bind 127.0.0.1:%d
    default_backend fail
frontend fe3
    bind 127.0.0.1:%d
    default_backend l4
frontend fe4
    bind 127.0.0.1:%d
    default_backend fast
backend down
    log global
    server a %s check inter 1m observe layer7 error-limit 3 on-error mark-down
backend fail
    log global
    server b %s check inter 1m fastinter 1m observe layer7 error-limit 2 on-error fail-check rise 2 fall 3
backend l4
    log global
    server c %s check inter 1m observe layer4 error-limit 2 on-error sudden-death fall 4
backend fast
    log global
    server d %s check inter 1m observe layer7 error-limit 1 on-error fastinter
`, stats, log, fronts[0], fronts[1], fronts[2], fronts[3], o, o, dead, o)
	})
	hsock, tsock := pr.h.sock, pr.g.sock
	columns := func(sock string) string {
		cols := checkColumns(t, sock)
		header, rows := statRows(t, cli(t, sock, "show stat"))
		for _, r := range rows {
			if r[1] != "FRONTEND" && r[1] != "BACKEND" {
				cols += r[0] + "/" + r[1] + ": hanafail=" + r[slices.Index(header, "hanafail")] + "\n"
			}
		}
		return cols
	}
	// send makes the requests on one connection through both proxies'
	// frontend fe and compares the statuses the clients got, then the
	// columns.
	send := func(fe int, paths ...string) {
		t.Helper()
		var got [2][]int
		for side, addr := range [2]string{pr.fronts[0][fe], pr.fronts[1][fe]} {
			hc := dialHTTP(t, addr)
			for _, path := range paths {
				_ = hc.c.SetDeadline(time.Now().Add(ioTimeout))
				if _, err := fmt.Fprintf(hc.c, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path); err != nil {
					t.Fatal(err)
				}
				resp, err := http.ReadResponse(hc.br, nil)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				resp.Body.Close()
				got[side] = append(got[side], resp.StatusCode)
			}
		}
		label := fmt.Sprintf("fe%d %v", fe+1, paths)
		if !slices.Equal(got[1], got[0]) {
			t.Errorf("%s: statuses %v, haproxy %v", label, got[1], got[0])
		}
		time.Sleep(100 * time.Millisecond) // the checkers apply the runs
		if want, got := columns(hsock), columns(tsock); got != want {
			t.Errorf("%s: columns\ntether\n%s\nhaproxy\n%s", label, got, want)
		}
	}
	send(0, "/500", "/503", "/200", "/500", "/501", "/500", "/502")
	send(0, "/500")
	send(1, "/500", "/500", "/500")
	send(1, "/500", "/500", "/500")
	send(2, "/")
	send(3, "/500", "/200", "/500")
	sameLines(t, "observed errors", pr.logs[0], pr.logs[1])
}
