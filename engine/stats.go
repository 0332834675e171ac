package engine

import "sync/atomic"

// Traffic counters for the runtime API's `show stat`. Each loop counts
// in blocks of its own (loopStats), so a request adds only to memory its
// loop writes, and Engine.traffic* sum the loops' blocks. A counter only
// grows; a sum read while loops count is the count of some moment during
// the read.

// traffic is one loop's counts for a frontend, a backend or a server.
type traffic struct {
	conns     atomic.Int64    // connections accepted (frontends)
	requests  atomic.Int64    // exchanges ended, answered or not
	bytesIn   atomic.Int64    // bytes received from clients, heads included (HAProxy counts its internal form: see Traffic)
	bytesOut  atomic.Int64    // bytes sent to clients, heads included
	responses [6]atomic.Int64 // responses by status class: 1xx to 5xx, then other
	badReqs   atomic.Int64    // requests refused as malformed or timed out (frontends)
	_         [40]byte        // to 128 bytes, so that two loops' blocks never share a cache line
}

// Traffic is a sum of traffic counters. The byte counts are those on the
// wire; HAProxy 2.6 counts the size of its internal form of each message
// instead (for a head: 21 bytes, plus the start line's three parts, plus
// each field's name and value without blanks), so its bin and bout differ.
type Traffic struct {
	Conns       int64    // connections accepted (frontends)
	Requests    int64    // requests ended, answered or not
	BytesIn     int64    // bytes received from clients, heads included
	BytesOut    int64    // bytes sent to clients, heads included
	Responses   [6]int64 // responses by status class: 1xx, 2xx, 3xx, 4xx, 5xx, other
	BadRequests int64    // requests refused as malformed or timed out (frontends)
}

// add adds t's counts to s.
func (s *Traffic) add(t *traffic) {
	s.Conns += t.conns.Load()
	s.Requests += t.requests.Load()
	s.BytesIn += t.bytesIn.Load()
	s.BytesOut += t.bytesOut.Load()
	for i := range s.Responses {
		s.Responses[i] += t.responses[i].Load()
	}
	s.BadRequests += t.badReqs.Load()
}

// loopStats are a loop's traffic blocks. fronts and backs are indexed like
// the engine's frontends and backends, which never change; servers is
// indexed by server slot and grows on the loop as servers appear, so it is
// published for readers through an atomic pointer.
type loopStats struct {
	fronts  []traffic
	backs   []traffic
	servers atomic.Pointer[[]*traffic]
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
// and the server it went to.
func (cc *clientConn) countExchange(status int, bytesOut int64) {
	st := &cc.ls.stats
	in := cc.reqBody.sent
	if cc.x != nil {
		in += int64(len(cc.x.head))
	}
	count := func(t *traffic) {
		t.requests.Add(1)
		t.bytesIn.Add(in)
		t.bytesOut.Add(bytesOut)
		if status > 0 {
			t.responses[statusClass(status)].Add(1)
		}
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
	t := &cc.ls.stats.fronts[cc.fe.index]
	t.requests.Add(1)
	t.badReqs.Add(1)
	if status > 0 {
		t.responses[statusClass(status)].Add(1)
	}
}

// frontendTraffic sums the loops' counts for frontend i.
func (e *Engine) frontendTraffic(i int) Traffic {
	var s Traffic
	for _, ls := range e.loopStates() {
		s.add(&ls.stats.fronts[i])
	}
	return s
}

// backendTraffic sums the loops' counts for backend i.
func (e *Engine) backendTraffic(i int) Traffic {
	var s Traffic
	for _, ls := range e.loopStates() {
		s.add(&ls.stats.backs[i])
	}
	return s
}

// serverTraffic sums the loops' counts for the server with slot.
func (e *Engine) serverTraffic(slot int) Traffic {
	var s Traffic
	for _, ls := range e.loopStates() {
		if p := ls.stats.servers.Load(); p != nil && slot < len(*p) && (*p)[slot] != nil {
			s.add((*p)[slot])
		}
	}
	return s
}

// loopStates returns the loops' states made so far.
func (e *Engine) loopStates() []*loopState {
	e.statesMu.Lock()
	defer e.statesMu.Unlock()
	return e.states
}
