package runtime

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// rateColumns are the rate columns of `show stat` the rate test compares.
var rateColumns = []string{"fe/FRONTEND rate", "fe/FRONTEND rate_max", "fe/FRONTEND req_rate",
	"fe/FRONTEND req_rate_max", "fe/FRONTEND conn_rate", "fe/FRONTEND conn_rate_max",
	"bk/BACKEND rate", "bk/BACKEND rate_max", "bk/s1 rate", "bk/s1 rate_max"}

// burst sends perConn requests on each of conns keep-alive connections at
// once, and returns when every response has come and both proxies' counts
// show them.
func burst(t *testing.T, d *diffSide, conns, perConn int, total int64) {
	t.Helper()
	var wg sync.WaitGroup
	hcs := make([]*httpConn, conns)
	for i := range hcs {
		hcs[i] = dialHTTP(t, d.front)
	}
	errs := make(chan error, conns)
	for _, hc := range hcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perConn {
				if r, err := hc.get(""); err != nil || r.status != 200 {
					errs <- fmt.Errorf("%s: status %d, %v", d.name, r.status, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitRequests(t, d.sock, total)
}

// TestDifferentialRates sends the same bursts through haproxy 2.6 and
// tether and compares the rate columns of `show stat`.
//
// Both count a rate per period of one second that starts with the first
// event after an idle time, and read it as the current period's count plus
// the previous one's weighted by what remains of the current period. When
// the proxies do not read at the same moment of their periods (time
// slicing differs, and the two run one after the other), their readings
// differ by that weight; so each reading is checked against the bounds the
// test's own clock gives for it, and the readings are compared exactly
// where no weight applies: a burst read within the period its first event
// started reads as its whole count, and the highest rates are the counts
// of the busiest period, whenever they are read.
func TestDifferentialRates(t *testing.T) {
	t.Parallel()
	o := startOrigin(t, "o1")
	h, g := startSides(t, func(stats, front int) string {
		return frontConfig(stats, front, "bk") + "backend bk\n    server s1 " + o.addr.String() + "\n"
	})

	// The first burst: 8 connections of 10 requests; the second, once the
	// first one's period is over: 2 connections of 5 requests.
	type burstShape struct{ conns, perConn int }
	shapes := [2]burstShape{{8, 10}, {2, 5}}
	// counts returns how many events burst b counts for column k.
	counts := func(b int, k string) int64 {
		if strings.HasPrefix(k, "fe/FRONTEND conn_rate") || strings.HasPrefix(k, "fe/FRONTEND rate") {
			return int64(shapes[b].conns) // sessions of a frontend are its connections
		}
		return int64(shapes[b].conns * shapes[b].perConn)
	}
	columns := []string{"rate", "rate_max", "req_rate", "req_rate_max", "conn_rate", "conn_rate_max"}
	sides := []*diffSide{h, g}
	var start, end [2]time.Time // of each side's first burst
	var readings [2][2]map[string]int64
	for i, d := range sides {
		start[i] = time.Now()
		burst(t, d, shapes[0].conns, shapes[0].perConn, counts(0, "req_rate"))
		end[i] = time.Now()
		readings[0][i] = statValues(t, d.sock, columns...)
		if took := time.Since(start[i]); took >= 900*time.Millisecond {
			t.Logf("%s: the first burst and its reading took %v: its readings are not compared", d.name, took)
			readings[0][i] = nil
		}
	}
	time.Sleep(1100 * time.Millisecond)
	for i, d := range sides {
		burst(t, d, shapes[1].conns, shapes[1].perConn, counts(0, "req_rate")+counts(1, "req_rate"))
		v := statValues(t, d.sock, columns...)
		readings[1][i] = v
		// The first burst's events lie between start and end, the second
		// burst's in the next period if the reading comes less than two
		// periods after start; the first then weighs by what remains of
		// that period at the reading.
		now := time.Now()
		if now.Sub(start[i]) >= 1900*time.Millisecond {
			t.Logf("%s: the second reading came %v after the first burst: it is not checked", d.name, now.Sub(start[i]))
			continue
		}
		for _, k := range rateColumns {
			if isMax(k) {
				if want := counts(0, k); v[k] != want {
					t.Errorf("%s after the second burst: %s = %d, want %d (the first burst's)", d.name, k, v[k], want)
				}
				continue
			}
			old, recent := counts(0, k), counts(1, k)
			low := recent + int64(float64(old)*(2-now.Sub(start[i]).Seconds())) - 1
			high := recent + int64(float64(old)*(2-now.Sub(end[i]).Seconds())) + 1
			if v[k] < low || v[k] > high {
				t.Errorf("%s after the second burst: %s = %d, want %d..%d", d.name, k, v[k], low, high)
			}
		}
	}
	for _, k := range rateColumns {
		if r := readings[0]; r[0] != nil && r[1] != nil {
			if want := counts(0, k); r[0][k] != want || r[1][k] != want {
				t.Errorf("first burst: %s: tether %d, haproxy %d, want %d", k, r[1][k], r[0][k], want)
			}
		}
		if r := readings[1]; isMax(k) && r[0][k] != r[1][k] {
			t.Errorf("second burst: %s: tether %d, haproxy %d", k, r[1][k], r[0][k])
		}
	}
}

// isMax reports whether a rate column is a highest rate.
func isMax(k string) bool { return strings.HasSuffix(k, "_max") }
