package engine

import (
	"math/rand/v2"
	"sync"
	"testing"
	"unsafe"
)

// rateAt reads r as rateSum does, at now on the rate clock: the rate in
// events per second and the highest count of a period.
func rateAt(r *rate, now int64) (perSecond, peak int64) {
	c, p := period(r.curr.Load()), period(r.prev.Load())
	return rateTotal(c, p, now) / ratePeriod, max(r.peak.Load(), c.count())
}

// freqModel is one frequency counter as HAProxy 2.6 documents and keeps
// it: the start of the current period, its count and the previous one's,
// and the highest count seen after an event.
type freqModel struct{ tick, curr, prev, max int64 }

func (m *freqModel) add(now int64) {
	if now-m.tick >= ratePeriod { // the period is over
		m.prev, m.curr = m.curr, 0
		m.tick += ratePeriod
		if now-m.tick >= ratePeriod { // and the next one too: start anew
			m.prev, m.tick = 0, now
		}
	}
	m.curr++
	m.max = max(m.max, m.curr)
}

func (m *freqModel) read(now int64) int64 {
	curr, past := m.curr, m.prev
	remain := m.tick + ratePeriod - now
	switch {
	case remain >= 0:
	case remain+ratePeriod >= 0:
		remain += ratePeriod
		past, curr = curr, 0
	default:
		past, curr = 0, 0
	}
	if curr == 0 && past <= 1 {
		return past
	}
	return (past*remain + curr*ratePeriod) / ratePeriod
}

func TestRateReadings(t *testing.T) {
	t.Parallel()
	const t0 = 5000 // an instant on the rate clock, well after its start
	cases := []struct {
		name   string
		events []int64 // instants of events, after t0
		at     int64   // instant of the reading, after t0
		rate   int64
		peak   int64
	}{
		{"none", nil, 0, 0, 0},
		{"burst, same period", []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 500, 10, 10},
		{"burst, end of its period", []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 999, 10, 10},
		// The period ended: the burst is the previous one, weighted by the
		// part of the new period still to come.
		{"burst, half a period later", []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 1500, 5, 10},
		{"burst, a quarter later", []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 1750, 2, 10},
		{"burst, two periods later", []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 2001, 0, 10},
		// Below 2 events a period HAProxy reports the previous count whole.
		{"one event, next period", []int64{100}, 1900, 1, 1},
		{"two events, next period", []int64{100, 200}, 1900, 0, 2},
		// Periods start at the first event after an idle time and follow
		// back to back: 4 in [0,1000), 6 in [1000,2000).
		{"two periods", []int64{0, 10, 20, 900, 1000, 1100, 1200, 1300, 1400, 1999}, 1250, 6 + 4*750/1000, 6},
		// An idle period between: the previous count is not back to back.
		{"after a gap", []int64{0, 1, 2, 3, 2500, 2600}, 2700, 2, 4},
		// The new phase starts at 2500: at 3600 [2500,3500) is the previous period.
		{"after a gap, next period", []int64{0, 1, 2, 3, 2500, 2600, 2700}, 3600, 3 * 900 / 1000, 4},
	}
	for _, c := range cases {
		var r rate
		for _, e := range c.events {
			r.add(t0+e, 1)
		}
		got, peak := rateAt(&r, t0+c.at)
		if got != c.rate || peak != c.peak {
			t.Errorf("%s: rate %d, peak %d; want %d, %d", c.name, got, peak, c.rate, c.peak)
		}
	}
}

// TestRateModel compares a rate with the model of HAProxy's counter over
// random event times, read at random moments.
func TestRateModel(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var r rate
		m := freqModel{}
		now := int64(2 * ratePeriod)
		for range 300 {
			switch gap := rng.IntN(10); {
			case gap < 6:
				now += rng.Int64N(20)
			case gap < 9:
				now += rng.Int64N(ratePeriod)
			default:
				now += rng.Int64N(4 * ratePeriod)
			}
			n := 1 + rng.Int64N(3)
			for range n {
				m.add(now)
			}
			r.add(now, n)
			at := now + rng.Int64N(3*ratePeriod)
			got, peak := rateAt(&r, at)
			if want := m.read(at); got != want || peak != m.max {
				t.Fatalf("at %d: rate %d, peak %d; model %d, %d (%+v)", at, got, peak, want, m.max, m)
			}
		}
	}
}

// joinedLoops returns the request rates of frontend 0 on n loops of an
// engine, joined as countExchange joins them.
func joinedLoops(n int) []*rate {
	e := &Engine{}
	var rates []*rate
	for range n {
		ls := &loopState{e: e}
		ls.stats.fronts = make([]traffic, 1)
		e.states = append(e.states, ls)
		rates = append(rates, &ls.stats.fronts[0].requests.rate)
	}
	for _, ls := range e.states {
		ls.stats.join(e)
	}
	return rates
}

// sumAt reads the loops' shares as a reader does, at now: the rate and the
// highest rate.
func sumAt(rates []*rate, now int64) (perSecond, highest int64) {
	var s rateSum
	for _, r := range rates {
		c, p := period(r.curr.Load()), period(r.prev.Load())
		s.peak = max(s.peak, r.peak.Load())
		s.total += rateTotal(c, p, now)
		s.curr, s.prev = append(s.curr, c), append(s.prev, p)
		s.floor = append(s.floor, r.floor.Load())
	}
	return s.perSecond(), s.highest()
}

// TestRateClear checks `clear counters` on a rate over two loops: its
// highest reads 0 at once, the current rate stays, and the highest counts
// again from the next period on; clearing all zeroes the rate too.
func TestRateClear(t *testing.T) {
	t.Parallel()
	const t0 = 5000
	rates := joinedLoops(2)
	a, b := rates[0], rates[1]
	for i := range int64(10) {
		a.add(t0+i, 1)
		b.add(t0+i, 1)
	}
	before, high := sumAt(rates, t0+500)
	if high != 20 {
		t.Fatalf("highest %d before the clear, want 20", high)
	}
	a.clear(false)
	b.clear(false)
	if got, high := sumAt(rates, t0+500); got != before || high != 0 {
		t.Errorf("after clear: rate %d, highest %d; want %d, 0", got, high, before)
	}
	a.add(t0+600, 1) // still the cleared period
	if _, high := sumAt(rates, t0+700); high != 0 {
		t.Errorf("an event in the cleared period: highest %d, want 0", high)
	}
	for i := range int64(3) {
		a.add(t0+1000+i, 1) // the next period: a leaves the cleared one
	}
	if _, high := sumAt(rates, t0+1100); high != 3 {
		t.Errorf("three events in the next period: highest %d, want 3", high)
	}
	a.clear(true)
	b.clear(true)
	if got, high := sumAt(rates, t0+1100); got != 0 || high != 0 {
		t.Errorf("after clear all: rate %d, highest %d; want 0, 0", got, high)
	}
}

// TestRateLoops checks that the loops' shares of a rate read as HAProxy's
// one counter over all their events: the loops enter the same periods, and
// the highest rate is the highest sum of their counts in one period.
func TestRateLoops(t *testing.T) {
	t.Parallel()
	const t0 = 5000
	rates := joinedLoops(2)
	a, b := rates[0], rates[1]
	m := freqModel{}
	add := func(r *rate, at int64) {
		r.add(t0+at, 1)
		m.add(t0 + at)
	}
	check := func(what string, at int64) {
		t.Helper()
		got, high := sumAt(rates, t0+at)
		if want := m.read(t0 + at); got != want || high != m.max {
			t.Errorf("%s: rate %d, highest %d; want %d, %d", what, got, high, want, m.max)
		}
	}
	for i := range int64(30) {
		add(a, i) // the period starts here, with a's first event
	}
	for i := range int64(20) {
		add(b, 400+i) // b enters a's period
	}
	check("one period, two loops", 900)
	add(a, 1500)
	check("a left the period", 1550)
	add(b, 1600)
	check("both left it", 1700)
	if pa, pb := a.peak.Load(), b.peak.Load(); pa != 50 || pb != 50 {
		t.Errorf("peaks %d, %d; want the period's 50 on both", pa, pb)
	}
	// A burst on a, then a smaller one on b in the next period: the
	// highest rate is a's burst, not the sum of the loops' highest counts.
	for i := range int64(80) {
		add(a, 5000+i)
	}
	for i := range int64(10) {
		add(b, 6100+i)
	}
	check("bursts on each loop in turn", 6200)
	check("bursts on each loop in turn, later", 6900)
	check("idle", 9000)
}

// TestTrafficBlockSize checks that a loop's traffic block fills whole cache
// lines, so that blocks of two loops never share one.
func TestTrafficBlockSize(t *testing.T) {
	t.Parallel()
	if n := unsafe.Sizeof(traffic{}); n%64 != 0 {
		t.Fatalf("traffic is %d bytes, not a multiple of 64", n)
	}
}

// TestRateSaturates checks that a period's count stops at countMax rather
// than carry into its start.
func TestRateSaturates(t *testing.T) {
	t.Parallel()
	const t0 = 5000
	var r rate
	r.add(t0, countMax-1)
	r.add(t0+1, 5)
	if c := period(r.curr.Load()); c.start() != t0 || c.count() != countMax-1 {
		t.Fatalf("start %d count %d, want %d %d", c.start(), c.count(), t0, countMax-1)
	}
	r.add(t0+1, 1)
	if c := period(r.curr.Load()); c.start() != t0 || c.count() != countMax {
		t.Fatalf("start %d count %d, want %d %d", c.start(), c.count(), t0, countMax)
	}
}

// TestRateConcurrentRead reads a rate while its loop counts (for the race
// detector), checking that a reading never exceeds what was counted.
func TestRateConcurrentRead(t *testing.T) {
	t.Parallel()
	var c counted
	const events = 20000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range events {
			c.add(1, rateNow())
		}
	}()
	read := func() (int64, int64) {
		var s rateSum
		s.add(&c.rate)
		return s.perSecond(), s.highest()
	}
	for range 1000 {
		if perSecond, high := read(); perSecond > events || high > events {
			t.Fatalf("rate %d, highest %d after at most %d events", perSecond, high, events)
		}
	}
	wg.Wait()
	if n := c.n.Load(); n != events {
		t.Fatalf("counted %d, want %d", n, events)
	}
	if perSecond, high := read(); perSecond == 0 || high == 0 {
		t.Fatalf("rate %d, highest %d after %d events", perSecond, high, events)
	}
}
