package runtime

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// churnModel is what the test believes the proxy's backend is: the
// dynamic-cookie key and switch, and each server's address and drain state.
// From it the test computes, independently of the proxy, the cookie value
// each server must carry.
type churnModel struct {
	key     string
	dynamic bool
	addr    [3]netip.AddrPort // s1, s2, s3
	drained [3]bool
}

// value returns server i's cookie value, "" when it has none.
func (m *churnModel) value(i int) string {
	if !m.dynamic {
		return ""
	}
	return dynamicValue(m.key, m.addr[i])
}

// owner returns the server whose cookie value is v, or -1.
func (m *churnModel) owner(v string) int {
	for i := range m.addr {
		if v != "" && m.value(i) == v {
			return i
		}
	}
	return -1
}

// churnStats are the outcomes the load goroutines count.
type churnStats struct {
	requests   atomic.Int64 // exchanges completed or failed
	failed     atomic.Int64 // transport error, status not 2xx, or incomplete body
	checked    atomic.Int64 // exchanges that ran entirely under one configuration
	persistent atomic.Int64 // checked exchanges that carried a valid cookie
	misrouted  atomic.Int64 // see TestChurn
	wrongSet   atomic.Int64 // see TestChurn
	drainedNew atomic.Int64 // see TestChurn
}

// TestChurn runs keep-alive load through tether while 1,000 runtime
// changes go through the stats socket: dynamic-cookie key changes, dynamic
// cookies disabled and enabled, servers drained and made ready, and server
// addresses moved between two origins that both answer with the server's
// name. Each load goroutine has its own connection and cookie jar (it keeps
// the SRVID value of the last Set-Cookie, and drops it on the removal
// cookie).
//
// Every request must succeed: a 2xx status and the complete body of the
// origin that answered. Key and address changes legitimately invalidate the
// cookies clients hold, so routing is judged against configurations, not
// against clients' expectations. A change is bracketed by a generation
// counter that is odd from just before its command is sent until the test
// has recorded its effect after the reply (the engine has swapped its
// snapshot by then). An exchange is "checked" when the generation was the
// same even number when the request was sent and when its response had
// been read: the whole exchange then ran under one known configuration C.
// For checked exchanges:
//
//   - misrouted: the request carried a cookie equal to server S's value
//     under C (S is ready or drained: both take persistent requests), and a
//     server other than S answered;
//   - wrong Set-Cookie: with a valid cookie something was set, or without
//     one the response did not set the value C gives the answering server
//     (or, dynamic cookies being disabled, the removal cookie);
//   - drained new: a request without a valid cookie went to a server
//     drained under C.
//
// All four counts must be zero.
func TestChurn(t *testing.T) {
	t.Parallel()
	const changes = 1000
	origins := [3][2]*origin{}
	for i := range origins {
		name := fmt.Sprintf("s%d", i+1)
		origins[i] = [2]*origin{startOrigin(t, name), startOrigin(t, name)}
	}
	p := freePorts(t, 2)
	tt := startTether(t, cookieConfig(p[0].(int), p[1].(int),
		origins[0][0].addr.String(), origins[1][0].addr.String(), origins[2][0].addr.String()))
	sock := tt.socket(0)

	var (
		gen   atomic.Int64 // odd while a change is under way
		mu    sync.Mutex   // guards model
		model = churnModel{key: "mysecretphrase", dynamic: true,
			addr: [3]netip.AddrPort{origins[0][0].addr, origins[1][0].addr, origins[2][0].addr}}
		stats churnStats
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	snapshot := func() churnModel {
		mu.Lock()
		defer mu.Unlock()
		return model
	}
	for range 4 {
		hc := dialHTTP(t, tt.front)
		wg.Add(1)
		go func() {
			defer wg.Done()
			churnClient(t, hc, &gen, snapshot, &stats, &stop)
		}()
	}

	rng := rand.New(rand.NewPCG(6, 1000))
	keys := []string{"mysecretphrase", "k1", "k2"}
	start := time.Now()
	for n := range changes {
		m := snapshot()
		var cmd string
		switch op := rng.IntN(4); {
		case op == 0:
			m.key = keys[(slices.Index(keys, m.key)+1)%len(keys)]
			cmd = "set dynamic-cookie-key backend bk " + m.key
		case op == 1:
			m.dynamic = !m.dynamic
			cmd = map[bool]string{true: "enable", false: "disable"}[m.dynamic] + " dynamic-cookie backend bk"
		case op == 2:
			i := rng.IntN(2) // s3 stays ready: new clients always have a server
			m.drained[i] = !m.drained[i]
			cmd = fmt.Sprintf("set server bk/s%d state %s", i+1, map[bool]string{true: "drain", false: "ready"}[m.drained[i]])
		default:
			i := rng.IntN(3)
			to := origins[i][0].addr
			if m.addr[i] == to {
				to = origins[i][1].addr
			}
			m.addr[i] = to
			cmd = fmt.Sprintf("set server bk/s%d addr %s port %d", i+1, to.Addr(), to.Port())
		}
		gen.Add(1)
		reply := cli(t, sock, cmd)
		if reply != "\n" && !strings.HasSuffix(reply, "by 'stats socket command'\n\n") {
			t.Fatalf("change %d %q: reply %q", n, cmd, reply)
		}
		mu.Lock()
		model = m
		mu.Unlock()
		gen.Add(1)
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	stop.Store(true)
	wg.Wait()

	t.Logf("%d changes in %v; %d requests, %d failed, %d checked (%d persistent), %d misrouted, %d wrong Set-Cookie, %d new sessions on drained servers",
		changes, elapsed.Round(time.Millisecond), stats.requests.Load(), stats.failed.Load(), stats.checked.Load(),
		stats.persistent.Load(), stats.misrouted.Load(), stats.wrongSet.Load(), stats.drainedNew.Load())
	if stats.failed.Load() != 0 || stats.misrouted.Load() != 0 || stats.wrongSet.Load() != 0 || stats.drainedNew.Load() != 0 {
		t.Error("churn caused failed, misrouted or mis-cookied requests")
	}
	if stats.checked.Load() < stats.requests.Load()/4 || stats.persistent.Load() < stats.checked.Load()/4 {
		t.Errorf("too few exchanges ran under a stable configuration to judge routing")
	}
}

// churnClient sends requests on one keep-alive connection until stop,
// keeping a cookie jar and judging each exchange as TestChurn describes.
func churnClient(t *testing.T, hc *httpConn, gen *atomic.Int64, snapshot func() churnModel, st *churnStats, stop *atomic.Bool) {
	jar := ""
	for !stop.Load() {
		g := gen.Load()
		m := snapshot()
		cookie := ""
		if jar != "" {
			cookie = "SRVID=" + jar
		}
		r, err := hc.get(cookie)
		st.requests.Add(1)
		if err != nil || r.status/100 != 2 || r.body != originBody(r.server) {
			st.failed.Add(1)
			t.Errorf("request with %q: status %d from %q, body %q, error %v", cookie, r.status, r.server, r.body, err)
			return
		}
		for _, sc := range r.setCookie {
			v, _, _ := strings.Cut(strings.TrimPrefix(sc, "SRVID="), ";")
			jar = v
		}
		if g%2 != 0 || gen.Load() != g {
			continue
		}
		st.checked.Add(1)
		want := m.owner(strings.TrimPrefix(cookie, "SRVID="))
		answered := int(r.server[1] - '1')
		switch {
		case want >= 0:
			st.persistent.Add(1)
			if answered != want {
				st.misrouted.Add(1)
				t.Errorf("cookie of s%d answered by %s", want+1, r.server)
			}
			if len(r.setCookie) != 0 {
				st.wrongSet.Add(1)
				t.Errorf("valid cookie of s%d got Set-Cookie %q", want+1, r.setCookie)
			}
		default:
			set := removal
			if v := m.value(answered); v != "" {
				set = "SRVID=" + v + "; path=/"
			}
			if len(r.setCookie) != 1 || r.setCookie[0] != set {
				st.wrongSet.Add(1)
				t.Errorf("%s answered %q with Set-Cookie %q, want %q", r.server, cookie, r.setCookie, set)
			}
			if m.drained[answered] {
				st.drainedNew.Add(1)
				t.Errorf("drained %s took a request with cookie %q", r.server, cookie)
			}
		}
	}
}
