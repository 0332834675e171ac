package engine

import (
	"sync/atomic"
	"time"
)

// Traffic counters for the runtime API's `show stat`. Each loop counts
// in blocks of its own (loopStats), so a request adds only to memory its
// loop writes, and Engine.traffic* sum the loops' blocks. A counter only
// grows (until `clear counters all` zeroes it, see stats_clear.go); a sum
// read while loops count is the count of some moment during the read.
// Rates are counted the same way (see rate).

// traffic is one loop's counts for a frontend, a backend or a server.
type traffic struct {
	conns     counted         // connections accepted (frontends)
	requests  counted         // exchanges ended, answered or not; their rate is HAProxy's request rate (frontends) or session rate (backends, servers)
	bytesIn   atomic.Int64    // bytes received from clients, heads included
	binSize   atomic.Int64    // the same in HAProxy's internal form (requestLogSize)
	bytesOut  atomic.Int64    // bytes sent to clients, heads included
	responses [6]atomic.Int64 // responses by status class: 1xx to 5xx, then other
	badReqs   atomic.Int64    // requests refused as malformed or timed out (frontends)
	_         [16]byte        // to 192 bytes, so that two loops' blocks never share a cache line
}

// Traffic is a sum of traffic counters. BytesIn and BytesOut count bytes
// on the wire; HAProxy's bin and bout count the size of its internal form
// of each message instead, which Bin gives for requests. A rate is the
// number of events in the last second as HAProxy 2.6 reads a frequency
// counter (see rate), and its Max the highest number counted in one
// period.
type Traffic struct {
	Conns       int64    // connections accepted (frontends)
	Requests    int64    // requests ended, answered or not
	BytesIn     int64    // bytes received from clients, heads included
	Bin         int64    // BytesIn in HAProxy's internal form (see requestLogSize)
	BytesOut    int64    // bytes sent to clients, heads included
	Responses   [6]int64 // responses by status class: 1xx, 2xx, 3xx, 4xx, 5xx, other
	BadRequests int64    // requests refused as malformed or timed out (frontends)
	ConnRate    int64    // connections in the last second (frontends)
	ConnRateMax int64    // highest ConnRate counted in one period
	ReqRate     int64    // requests in the last second (frontends); sessions (backends, servers)
	ReqRateMax  int64    // highest ReqRate counted in one period
}

// trafficSum adds up the loops' blocks into a Traffic; the rates are
// divided by their period once every loop has been read.
type trafficSum struct {
	Traffic
	conns, requests rateSum
}

// add adds t's counts.
func (s *trafficSum) add(t *traffic) {
	s.Conns += t.conns.n.Load()
	s.Requests += t.requests.n.Load()
	s.BytesIn += t.bytesIn.Load()
	s.Bin += t.binSize.Load()
	s.BytesOut += t.bytesOut.Load()
	for i := range s.Responses {
		s.Responses[i] += t.responses[i].Load()
	}
	s.BadRequests += t.badReqs.Load()
	s.conns.add(&t.conns.rate)
	s.requests.add(&t.requests.rate)
}

// result returns the sum.
func (s *trafficSum) result() Traffic {
	t := s.Traffic
	t.ConnRate, t.ConnRateMax = s.conns.perSecond(), s.conns.highest()
	t.ReqRate, t.ReqRateMax = s.requests.perSecond(), s.requests.highest()
	return t
}

// HAProxy 2.6 counts a rate in a frequency counter (freq_ctr) over one
// second: the count of the current period, the count of the period before,
// and when the current period started. A period starts with the first
// event after the counter was idle for two periods or more, and the next
// ones follow it back to back. The rate read at a moment is the current
// count plus the previous one weighted by the part of the current period
// still to come (with a correction below 2 events a period), and the
// highest rate HAProxy shows is the highest count any period reached.
//
// tether keeps such a counter per loop (rate), so that an event adds only
// to memory its loop owns. The loops' counters of one rate share their
// periods: a loop whose period is over (at most once a second) looks at
// the other loops' counters of the rate (rateSet), enters the period one of
// them has already entered, or else starts the next one by the rule above,
// and adds up every loop's count of the period it leaves, keeping the
// highest such sum (peak). A reader adds the loops' readings, each taken as
// HAProxy takes its counter's, and divides once; the highest rate is the
// highest peak, or the sum of the periods not left yet when higher. Until a
// loop has joined the others (rateSet, from its first connection on), its
// counters keep periods of their own and peaks of their own counts.

// ratePeriod is the period of a rate, in milliseconds of the rate clock.
const ratePeriod = 1000

// rateEpoch is the origin of the rate clock.
var rateEpoch = time.Now()

// rateNow reads the rate clock: milliseconds since rateEpoch, from the
// monotonic clock, plus two periods so that the zero start of a counter
// never used lies two periods back, as with HAProxy's zeroed counters.
func rateNow() int64 { return int64(time.Since(rateEpoch)/time.Millisecond) + 2*ratePeriod }

// rateNow reads the rate clock from the loop's coarse clock (a tick
// behind at most, as HAProxy's now_ms is a poll behind), which costs no
// system clock read.
func (ls *loopState) rateNow() int64 {
	return int64(ls.l.Now().Sub(rateEpoch)/time.Millisecond) + 2*ratePeriod
}

// period is one period of a rate packed in a word, so that a reader loads
// its start and its count together: the start on the rate clock in the
// high 40 bits (34 years of milliseconds), the count in the low 24 (more
// events than a loop can see in a second; the count stops there).
type period uint64

const (
	countBits = 24
	countMax  = 1<<countBits - 1
)

func newPeriod(start, count int64) period { return period(uint64(start)<<countBits | uint64(count)) }
func (p period) start() int64             { return int64(p >> countBits) }
func (p period) count() int64             { return int64(p & countMax) }

// same reports whether p and q are the same period of a rate on two
// loops. Loops that start a period at once after an idle time may start it
// a few milliseconds apart (or further before they join, see rateSet);
// otherwise periods are a whole period apart. same pairs the periods that
// overlap most.
func (p period) same(q period) bool {
	d := p.start() - q.start()
	return d < ratePeriod/2 && d > -ratePeriod/2
}

// rate is one loop's share of a rate. Only the loop writes it; any
// goroutine may read curr, prev and peak. The loop stores peak, then prev,
// then curr when a period ends, and a reader loads them in the other
// order, so a reader that sees the new current period sees the rest too.
type rate struct {
	curr  atomic.Uint64 // period: the current one (or the last one to see an event)
	prev  atomic.Uint64 // period: the one before curr, when they are back to back
	peak  atomic.Int64  // highest sum of the loops' counts of a period this loop left
	floor atomic.Int64  // start of the period current at the last `clear counters`: it and older ones are not in the highest rate
	peers *rateSet      // the rate's shares on every loop; nil until the loop joins (used on the loop only)
}

// rateSet finds one rate's shares on the engine's loops.
type rateSet struct {
	e  *Engine
	of func(st *loopStats) *rate // a loop's share, or nil when it has none
}

// add counts n events at now on the rate clock.
func (r *rate) add(now, n int64) {
	c := period(r.curr.Load())
	if now-c.start() < ratePeriod {
		if c.count()+n <= countMax {
			r.curr.Add(uint64(n))
		}
		return
	}
	start, sum := c.start(), c.count()
	if r.peers != nil {
		start, sum = r.peers.scan(c)
	}
	if now-start >= ratePeriod { // no loop has entered the current period
		start += ratePeriod
		if now-start >= ratePeriod { // idle for two periods or more
			start = now
		}
	}
	if sum > r.peak.Load() && c.start() > r.floor.Load() {
		r.peak.Store(sum)
	}
	r.prev.Store(uint64(c))
	r.curr.Store(uint64(newPeriod(start, min(n, countMax))))
}

// scan looks at every loop's share, c being the current period of the
// calling loop's, and returns the latest period start among them and the
// sum of their counts of c's period.
func (s *rateSet) scan(c period) (latest, sum int64) {
	latest = c.start()
	for _, ls := range s.e.loopStates() {
		r := s.of(&ls.stats)
		if r == nil {
			continue
		}
		rc, rp := period(r.curr.Load()), period(r.prev.Load())
		latest = max(latest, rc.start())
		switch {
		case rc.same(c):
			sum += rc.count()
		case rp.same(c):
			sum += rp.count()
		}
	}
	return latest, sum
}

// rateTotal returns the events over the last period times ratePeriod (what
// HAProxy's freq_ctr_total gives before its division), read at now from
// the current period c and the one before it, p (ignored unless back to
// back with c: a loop may have entered c from a period of its own that
// started a few milliseconds away from the others', see same).
func rateTotal(c, p period, now int64) int64 {
	curr, past := c.count(), int64(0)
	if p.same(newPeriod(c.start()-ratePeriod, 0)) {
		past = p.count()
	}
	remain := c.start() + ratePeriod - now
	if remain < 0 { // c is over: it is the previous period now, if just
		remain += ratePeriod
		past, curr = 0, 0
		if remain >= 0 {
			past = c.count()
		}
	}
	if curr == 0 && past <= 1 { // HAProxy's correction for rates below 2 a period
		return past * ratePeriod
	}
	return past*remain + curr*ratePeriod
}

// rateSum adds up the loops' shares of a rate as a reader sees them.
type rateSum struct {
	total int64    // the loops' totals, before the division by ratePeriod
	peak  int64    // the highest of the loops' peaks
	curr  []period // the loops' current periods
	prev  []period // and the ones before
	floor []int64  // the loops' floors: periods starting then or before were cleared
}

// add adds the share r.
func (s *rateSum) add(r *rate) {
	c := period(r.curr.Load())
	p := period(r.prev.Load())
	s.peak = max(s.peak, r.peak.Load())
	s.total += rateTotal(c, p, rateNow())
	s.curr = append(s.curr, c)
	s.prev = append(s.prev, p)
	s.floor = append(s.floor, r.floor.Load())
}

// perSecond returns the rate.
func (s *rateSum) perSecond() int64 { return s.total / ratePeriod }

// highest returns the highest sum of the loops' counts of one period: the
// highest peak, or the sum for a current period when higher (periods no
// loop has left yet), periods a clear has passed left out.
func (s *rateSum) highest() int64 {
	high := s.peak
	for _, c := range s.curr {
		var sum int64
		for i, d := range s.curr {
			switch {
			case d.same(c) && d.start() > s.floor[i]:
				sum += d.count()
			case s.prev[i].same(c) && s.prev[i].start() > s.floor[i]:
				sum += s.prev[i].count()
			}
		}
		high = max(high, sum)
	}
	return high
}

// counted is a count of events on one loop and their rate.
type counted struct {
	n    atomic.Int64
	rate rate
}

// add counts n events at now on the rate clock.
func (c *counted) add(n, now int64) {
	c.n.Add(n)
	c.rate.add(now, n)
}

// loopStats are a loop's traffic blocks. fronts and backs are indexed like
// the engine's frontends and backends, which never change; servers is
// indexed by server slot and grows on the loop as servers appear, so it is
// published for readers through an atomic pointer.
type loopStats struct {
	fronts  []traffic
	backs   []traffic
	servers atomic.Pointer[[]*traffic]
	e       *Engine // set when the loop's rates join the other loops' (join)
}

// join gives the loop's rates their rateSet, on the loop, from its first
// accepted connection (or exchange counted) on.
func (st *loopStats) join(e *Engine) {
	st.e = e
	for i := range st.fronts {
		t := &st.fronts[i]
		t.conns.rate.peers = &rateSet{e, func(o *loopStats) *rate { return &o.fronts[i].conns.rate }}
		t.requests.rate.peers = &rateSet{e, func(o *loopStats) *rate { return &o.fronts[i].requests.rate }}
	}
	for i := range st.backs {
		st.backs[i].requests.rate.peers = &rateSet{e, func(o *loopStats) *rate { return &o.backs[i].requests.rate }}
	}
	if p := st.servers.Load(); p != nil {
		for slot, t := range *p {
			if t != nil {
				st.joinServer(t, slot)
			}
		}
	}
}

// joinServer gives the rate of t, the loop's block for the server with
// slot, its rateSet.
func (st *loopStats) joinServer(t *traffic, slot int) {
	t.requests.rate.peers = &rateSet{st.e, func(o *loopStats) *rate {
		if p := o.servers.Load(); p != nil && slot < len(*p) && (*p)[slot] != nil {
			return &(*p)[slot].requests.rate
		}
		return nil
	}}
}

// server returns the loop's block for the server with slot, making it on
// first use (on the loop).
func (st *loopStats) server(slot int) *traffic {
	var list []*traffic
	if p := st.servers.Load(); p != nil {
		list = *p
	}
	if slot < len(list) && list[slot] != nil {
		return list[slot]
	}
	grown := make([]*traffic, max(len(list), slot+1))
	copy(grown, list)
	grown[slot] = new(traffic)
	if st.e != nil {
		st.joinServer(grown[slot], slot)
	}
	st.servers.Store(&grown)
	return grown[slot]
}

// statusClass returns the index of status in Traffic.Responses.
func statusClass(status int) int {
	if status >= 100 && status < 600 {
		return status/100 - 1
	}
	return 5
}

// countExchange counts an exchange that ends with status (-1 without a
// response) and bytesOut sent to the client, for the frontend, the backend
// and the server it went to. The request counts in HAProxy's internal form
// (requestLogSize and the body as %B counts one).
func (cc *clientConn) countExchange(status int, bytesOut int64) {
	st := &cc.ls.stats
	if st.e == nil {
		st.join(cc.e)
	}
	in, bin := cc.reqBody.sent, cc.reqBody.logged()
	if cc.x != nil {
		in += int64(len(cc.x.head))
		bin += requestLogSize(&cc.x.req, cc.x.head, cc.x.normalized)
	}
	now := cc.ls.rateNow()
	count := func(t *traffic) { // the request last: a reader that sees it sees the rest
		t.bytesIn.Add(in)
		t.binSize.Add(bin)
		t.bytesOut.Add(bytesOut)
		if status > 0 {
			t.responses[statusClass(status)].Add(1)
		}
		t.requests.add(1, now)
	}
	count(&st.fronts[cc.fe.index])
	if cc.be != nil {
		count(&st.backs[cc.be.index])
	}
	if cc.srv != nil {
		count(st.server(cc.srv.live.slot))
	}
}

// countRefused counts a request the frontend refused as malformed or timed
// out before it was complete, answered with status (0 when the connection
// closed without an answer): HAProxy counts it among the requests too.
func (cc *clientConn) countRefused(status int) {
	st := &cc.ls.stats
	if st.e == nil {
		st.join(cc.e)
	}
	t := &st.fronts[cc.fe.index]
	t.badReqs.Add(1)
	if status > 0 {
		t.responses[statusClass(status)].Add(1)
	}
	t.requests.add(1, cc.ls.rateNow()) // last, as in countExchange
}

// frontendTraffic sums the loops' counts for frontend i.
func (e *Engine) frontendTraffic(i int) Traffic {
	var s trafficSum
	for _, ls := range e.loopStates() {
		s.add(&ls.stats.fronts[i])
	}
	return s.result()
}

// backendTraffic sums the loops' counts for backend i.
func (e *Engine) backendTraffic(i int) Traffic {
	var s trafficSum
	for _, ls := range e.loopStates() {
		s.add(&ls.stats.backs[i])
	}
	return s.result()
}

// serverTraffic sums the loops' counts for the server with slot.
func (e *Engine) serverTraffic(slot int) Traffic {
	var s trafficSum
	for _, ls := range e.loopStates() {
		if p := ls.stats.servers.Load(); p != nil && slot < len(*p) && (*p)[slot] != nil {
			s.add((*p)[slot])
		}
	}
	return s.result()
}

// loopStates returns the loops' states made so far.
func (e *Engine) loopStates() []*loopState {
	e.statesMu.Lock()
	defer e.statesMu.Unlock()
	return e.states
}

// raiseMax makes m at least n: the peak of a live count, as HAProxy's
// *_max columns keep it. Most calls cost one load.
func raiseMax(m *atomic.Int64, n int64) {
	for {
		if p := m.Load(); n <= p || m.CompareAndSwap(p, n) {
			return
		}
	}
}
