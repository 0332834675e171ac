package runtime

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slowstartColumns returns the columns of `show stat` and `show servers
// state` a slow start moves: status, weight, throttle, act, bck, lastchg,
// uweight, and the operational state (1 while starting). lastchg is
// masked on the rows of steady, which count it from the proxy's start.
func slowstartColumns(t *testing.T, sock string, steady ...string) string {
	var b strings.Builder
	header, rows := statRows(t, cli(t, sock, "show stat"))
	for _, r := range rows {
		if r[1] == "FRONTEND" {
			continue
		}
		row := r[0] + "/" + r[1]
		b.WriteString(row + ":")
		for _, name := range []string{"status", "weight", "throttle", "act", "bck", "lastchg", "uweight"} {
			for i, h := range header {
				switch {
				case h != name:
				case name == "lastchg" && slices.Contains(steady, row):
					b.WriteString(" lastchg=-")
				default:
					fmt.Fprintf(&b, " %s=%s", name, r[i])
				}
			}
		}
		b.WriteString("\n")
	}
	for _, l := range strings.Split(cli(t, sock, "show servers state"), "\n") {
		if f := strings.Fields(l); len(f) == 25 {
			fmt.Fprintf(&b, "%s/%s: op=%s admin=%s uweight=%s iweight=%s\n", f[1], f[3], f[5], f[6], f[7], f[8])
		}
	}
	return b.String()
}

// TestDifferentialSlowstart runs haproxy 2.6 and tether on one
// configuration whose servers have `slowstart`, brings them up through the
// runtime API (leaving maintenance, `set server ... health up`), and
// compares, second by second through the slow starts, the columns a slow
// start moves (weight, throttle, status, lastchg, the starting state), for
// a dynamic algorithm (roundrobin, leastconn), a static one (static-rr,
// whose weights do not ramp) and a tracking server with a slow start of
// its own; then every line both logged, the second UP at the end of a slow
// start included. Both proxies must see each change and each sample in
// the same second of the clock: a run where the machine delayed one past
// a second boundary, or where haproxy's clock drifted from the wall
// clock, is done again on fresh proxies (at most three runs).
func TestDifferentialSlowstart(t *testing.T) {
	t.Parallel()
	a, b, s, u, l := startOrigin(t, "a"), startOrigin(t, "b"), startOrigin(t, "s"), startOrigin(t, "u"), startOrigin(t, "l")
	for run := 1; ; run++ {
		errs, timely := slowstartRun(t, a, b, s, u, l)
		if timely || run == 3 {
			for _, e := range errs {
				t.Error(e)
			}
			return
		}
		t.Logf("run %d: a change or a sample came late for its second, or only lastchg differed; running again", run)
	}
}

// slowstartRun is one run of TestDifferentialSlowstart on fresh proxies.
// It returns what differed, and whether every change and sample came in
// time (when not, the differences say nothing).
func slowstartRun(t *testing.T, a, b, s, u, l *origin) (errs []string, timely bool) {
	pr := startLogged(t, 1, func(stats int, fronts []int, log net.Addr) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
    log %s local0
`+testDefaults+`    log global
frontend fe
    bind 127.0.0.1:%d
    default_backend web
backend web
    balance roundrobin
    server a %s check inter 200ms weight 100 slowstart 5s
    server b %s weight 100
backend fixed
    balance static-rr
    server s %s weight 10 slowstart 4s
    server u %s weight 10
backend least
    balance leastconn
    default-server slowstart 3500ms
    server l %s weight 3
    server m %s weight 7 slowstart 0
backend mirror
    server ta %s track web/a weight 50 slowstart 2s
`, stats, log, fronts[0], a.addr, b.addr, s.addr, u.addr, l.addr, l.addr, a.addr)
	})
	steady := []string{"web/b", "web/BACKEND", "fixed/u", "fixed/BACKEND"}

	// Stop the servers, then bring them up at a tenth of a second past a
	// second: the slow starts count whole seconds of the clock, and both
	// proxies must see the same second.
	pr.both(t, "set server web/a state maint")
	pr.both(t, "set server fixed/s health down")
	pr.both(t, "set server least/l health down")
	pr.both(t, "set server least/m health down")
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1100 * time.Millisecond)))
	start := time.Now()
	second := start.Truncate(time.Second)
	pr.both(t, "set server web/a state ready")
	pr.both(t, "set server fixed/s health up")
	pr.both(t, "set server least/l health up")
	pr.both(t, "set server least/m health up")
	if time.Since(start) > 400*time.Millisecond {
		return nil, false
	}
	// Sample half-way between the steps, which come every second from
	// when the servers came up, and before the clock's next second.
	// haproxy keeps a clock of its own that steps past time it thinks
	// jumped (a stall longer than its poll timeout on a busy machine), so
	// its seconds may start a little before or after the wall clock's: a
	// run where only lastchg differs is done again.
	drift := false
	for k := range 7 {
		time.Sleep(time.Until(start.Add(time.Duration(k)*time.Second + 500*time.Millisecond)))
		want, got := slowstartColumns(t, pr.h.sock, steady...), slowstartColumns(t, pr.g.sock, steady...)
		if time.Now().After(second.Add(time.Duration(k+1) * time.Second)) {
			return nil, false
		}
		if got != want {
			errs = append(errs, fmt.Sprintf("%d s after coming up: columns\ntether\n%s\nhaproxy\n%s", k, got, want))
			drift = drift || lastchgRE.ReplaceAllString(got, "") == lastchgRE.ReplaceAllString(want, "")
		}
	}
	if d := diffLines(pr.logs[0], pr.logs[1]); d != "" {
		errs = append(errs, "slow starts: logged\n"+d)
	}
	return errs, !drift
}

// lastchgRE matches the lastchg column of slowstartColumns.
var lastchgRE = regexp.MustCompile(`lastchg=[0-9]+`)

// holdOrigin answers every request only once released, and counts the
// requests it holds.
type holdOrigin struct {
	addr netip.AddrPort
	held atomic.Int64
	mu   sync.Mutex
	gate chan struct{} // closed to release the requests held
}

// open releases the requests held; the next ones are held again.
func (o *holdOrigin) open() {
	o.mu.Lock()
	defer o.mu.Unlock()
	close(o.gate)
	o.gate = make(chan struct{})
}

func startHoldOrigin(t *testing.T) *holdOrigin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &holdOrigin{addr: ln.Addr().(*net.TCPAddr).AddrPort(), gate: make(chan struct{})}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		o.mu.Lock()
		gate := o.gate
		o.mu.Unlock()
		o.held.Add(1)
		defer o.held.Add(-1)
		select {
		case <-gate:
		case <-time.After(10 * time.Second):
		}
		w.Header().Set("Content-Length", "0")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return o
}

// TestDifferentialSlowstartTraffic sends requests through haproxy 2.6 and
// tether while servers warm up: a round robin between a warming server and
// a full one must pick the same servers in the same order at each step of
// the slow start, and a warming server with a maxconn must take as many
// requests at once as haproxy lets it (1, then a fifth more each second
// of a 5 s slow start), the others waiting in its queue. As in
// TestDifferentialSlowstart, a run that a busy machine delays past a
// second boundary, or that differs, is done again on fresh proxies (at
// most three runs).
func TestDifferentialSlowstartTraffic(t *testing.T) {
	t.Parallel()
	a, b := startOrigin(t, "a"), startOrigin(t, "b")
	for run := 1; ; run++ {
		errs, timely := slowstartTrafficRun(t, a, b)
		if timely || run == 3 {
			for _, e := range errs {
				t.Error(e)
			}
			return
		}
		t.Logf("run %d: a change or a step came late for its second, or the proxies differed; running again", run)
	}
}

// slowstartTrafficRun is one run of TestDifferentialSlowstartTraffic on
// fresh proxies, as slowstartRun is of TestDifferentialSlowstart.
func slowstartTrafficRun(t *testing.T, a, b *origin) (errs []string, timely bool) {
	hold := startHoldOrigin(t)
	defer hold.open()
	pr := startLogged(t, 2, func(stats int, fronts []int, _ net.Addr) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
`+testDefaults+`    timeout queue 20s
frontend fe
    bind 127.0.0.1:%d
    default_backend web
frontend fe2
    bind 127.0.0.1:%d
    default_backend held
backend web
    balance roundrobin
    server a %s weight 5 slowstart 10s
    server b %s weight 3
backend held
    server h %s maxconn 10 slowstart 5s
`, stats, fronts[0], fronts[1], a.addr, b.addr, hold.addr)
	})
	hsock, hfront, hheld := pr.h.sock, pr.fronts[0][0], pr.fronts[0][1]
	tsock, tfront, theld := pr.g.sock, pr.fronts[1][0], pr.fronts[1][1]
	// order is the servers that answer 16 requests on one connection.
	order := func(front string) string {
		hc := dialHTTP(t, front)
		var seq []string
		for range 16 {
			seq = append(seq, hc.mustGet(t, "").server)
		}
		return strings.Join(seq, "")
	}
	// held sends n requests at once to the held backend and returns what
	// the server's row shows once they have arrived: in its hands and
	// waiting. The requests end when the origin releases them.
	held := func(front, sock string, n int, done chan<- error) string {
		for range n {
			go func() {
				c, err := net.DialTimeout("tcp", front, ioTimeout)
				if err != nil {
					done <- err
					return
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(15 * time.Second))
				if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"); err != nil {
					done <- err
					return
				}
				_, err = http.ReadResponse(bufio.NewReader(c), nil)
				done <- err
			}()
		}
		var got string
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			header, rows := statRows(t, cli(t, sock, "show stat"))
			col := func(r []string, name string) int {
				n, _ := strconv.Atoi(r[slices.Index(header, name)])
				return n
			}
			var scur, qcur, bqcur int
			for _, r := range rows {
				switch {
				case r[0] == "held" && r[1] == "h":
					scur, qcur = col(r, "scur"), col(r, "qcur")
				case r[0] == "held" && r[1] == "BACKEND":
					bqcur = col(r, "qcur")
				}
			}
			got = fmt.Sprintf("scur=%d qcur=%d backend qcur=%d", scur, qcur, bqcur)
			if scur+qcur+bqcur == n {
				break
			}
		}
		return got
	}

	pr.both(t, "set server web/a state maint")
	pr.both(t, "set server held/h state maint")
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1100 * time.Millisecond)))
	start := time.Now()
	second := start.Truncate(time.Second)
	pr.both(t, "set server web/a state ready")
	pr.both(t, "set server held/h state ready")
	if time.Since(start) > 250*time.Millisecond {
		return nil, false
	}
	for k := range 4 {
		time.Sleep(time.Until(start.Add(time.Duration(2*k)*time.Second + 300*time.Millisecond)))
		want, got := order(hfront), order(tfront)
		if time.Now().After(second.Add(time.Duration(2*k+1) * time.Second)) {
			return nil, false
		}
		if got != want {
			errs = append(errs, fmt.Sprintf("%d s into the slow start: servers %s, haproxy %s", 2*k, got, want))
		}
		if k > 2 {
			continue
		}
		// Six requests at once: haproxy lets 1 through at 0 s, 4 at 2 s
		// (40%% of 10), 8 at 4 s.
		hdone, tdone := make(chan error, 6), make(chan error, 6)
		want, got = held(hheld, hsock, 6, hdone), held(theld, tsock, 6, tdone)
		late := time.Now().After(second.Add(time.Duration(2*k+1) * time.Second))
		if !late && got != want {
			errs = append(errs, fmt.Sprintf("%d s into the slow start: held server %s, haproxy %s", 2*k, got, want))
		}
		// Release the held requests, and those the queues then give a
		// slot, until all twelve are answered.
		for n := 0; n < 12; {
			hold.open()
			select {
			case err := <-hdone:
				if err != nil {
					t.Errorf("haproxy: %v", err)
				}
				n++
			case err := <-tdone:
				if err != nil {
					t.Errorf("tether: %v", err)
				}
				n++
			case <-time.After(20 * time.Millisecond):
			}
		}
		if late {
			return nil, false
		}
	}
	// The peaks of the sessions and queues, which the held requests set.
	cols := []string{"qcur", "qmax", "scur", "smax", "stot"}
	peaks := func(sock string) string {
		return statColumns(t, sock, map[string][]string{"BACKEND": cols, "server": cols})
	}
	if want, got := peaks(hsock), peaks(tsock); got != want {
		errs = append(errs, fmt.Sprintf("peaks\ntether\n%s\nhaproxy\n%s", got, want))
	}
	// haproxy's clock steps past what it takes for a time jump (a stall
	// longer than its poll timeout, on a loaded machine), which moves its
	// steps by a second: a run that differs is done again, and the last
	// one's differences fail the test.
	return errs, len(errs) == 0
}
