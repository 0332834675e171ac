package runtime

import (
	"testing"
	"time"
)

// TestDifferentialClearCounters sends the same traffic through haproxy 2.6
// and tether, then compares `show stat` after `clear counters` (the maxima
// from zero, the totals kept) and after `clear counters all` (every counter
// from zero): the traffic columns, the maxima and the rates.
func TestDifferentialClearCounters(t *testing.T) {
	t.Parallel()
	o1, o2 := startOrigin(t, "o1"), startOrigin(t, "o2")
	servers := []string{o1.addr.String(), o2.addr.String()}
	h, g := startSides(t, func(stats, front int) string { return cookieConfig(stats, front, servers...) })
	columns := map[string][]string{
		"FRONTEND": {"conn_tot", "stot", "req_tot", "hrsp_2xx", "hrsp_4xx", "ereq", "bin", "smax", "rate_max",
			"conn_rate_max", "req_rate_max"},
		"BACKEND": {"stot", "lbtot", "req_tot", "hrsp_2xx", "bin", "econ", "wretr", "wredis", "smax", "qmax", "rate_max"},
		"server":  {"stot", "lbtot", "req_tot", "hrsp_2xx", "bin", "econ", "wretr", "wredis", "smax", "qmax", "rate_max"},
	}
	counters := func(d *diffSide) string { return statColumns(t, d.sock, columns) }
	// compare waits for each proxy to count every exchange as it ends,
	// which may be after the client has read its response.
	compare := func(label string) {
		t.Helper()
		var want, got string
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if want, got = counters(h), counters(g); got == want {
				return
			}
		}
		t.Errorf("%s:\ntether\n%s\nhaproxy\n%s", label, got, want)
	}
	for _, d := range []*diffSide{h, g} {
		hc := dialHTTP(t, d.front)
		for range 5 {
			hc.mustGet(t, "")
		}
	}
	// Rates and their maxima move with the clock: the traffic must be a
	// period behind for both proxies to read the same.
	time.Sleep(2100 * time.Millisecond)
	for _, d := range []*diffSide{h, g} {
		mustCLI(t, d.sock, "clear counters")
	}
	compare("after clear counters")
	for _, d := range []*diffSide{h, g} {
		mustCLI(t, d.sock, "clear counters all")
	}
	compare("after clear counters all")
}
