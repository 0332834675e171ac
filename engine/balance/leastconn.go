package balance

// lcPicker is leastconn: the usable active server with the fewest requests
// (assigned plus queued) relative to its weight, by HAProxy's key
// (n+1)*4096/(weight*16) for n > 0 and 0 for an idle server. HAProxy keeps
// servers of equal key in the order they were last requeued; the loop keeps
// its usable servers in a list in that order (a chosen server, one that
// comes up and one whose weight changes go to the tail) and takes the
// first server of lowest key in it, which gives HAProxy's order for
// requests that do not overlap. HAProxy also requeues a server when one of
// its requests ends, which a loop does not see, so with overlapping
// requests the order among equally loaded servers can differ from
// HAProxy's; the load comparison does not. A scan stops at the first idle
// server; under load it reads every server's counters.
type lcPicker struct {
	t *Table
	// next and prev link the usable active servers, by index, in the order
	// they were last requeued; head is the first, or -1.
	next, prev []int32
	head       int32
}

// newLCPicker returns a leastconn Picker for t. With prev, servers keep
// their order from prev, and servers that came up or changed weight go to
// the tail in index order.
func newLCPicker(t *Table, prev *lcPicker) *lcPicker {
	n := len(t.servers)
	p := &lcPicker{t: t, next: make([]int32, n), prev: make([]int32, n), head: -1}
	if prev == nil || len(prev.t.servers) != n {
		for _, i := range t.active {
			p.pushBack(i)
		}
		return p
	}
	kept := make([]bool, n)
	for i := prev.head; i >= 0; i = prev.next[i] {
		if prev.t.eweight[i] == t.eweight[i] && !t.servers[i].Backup {
			p.pushBack(i)
			kept[i] = true
		}
		if prev.next[i] == prev.head {
			break
		}
	}
	for _, i := range t.active {
		if !kept[i] {
			p.pushBack(i)
		}
	}
	return p
}

// pushBack appends server i to the tail of the circular list.
func (p *lcPicker) pushBack(i int32) {
	if p.head < 0 {
		p.head, p.next[i], p.prev[i] = i, i, i
		return
	}
	tail := p.prev[p.head]
	p.next[tail], p.prev[i] = i, tail
	p.next[i], p.prev[p.head] = p.head, i
}

// toBack moves server i, already in the list, to the tail.
func (p *lcPicker) toBack(i int32) {
	if p.next[i] == i {
		return
	}
	if i == p.head {
		p.head = p.next[i]
		return
	}
	p.next[p.prev[i]], p.prev[p.next[i]] = p.next[i], p.prev[i]
	p.pushBack(i)
}

// Pick implements Picker.
func (p *lcPicker) Pick(_ *Key, avoid int) int {
	t := p.t
	if p.head < 0 {
		if t.fbck >= 0 {
			return t.fbck
		}
		return None
	}
	best, avoided := int32(-1), int32(-1)
	bestKey := 0
	for i := p.head; ; {
		s := &t.servers[i]
		c := &t.counters.slots[i]
		inflight := int(c.active.Load() + c.queued.Load())
		if s.MaxConn == 0 || inflight < s.MaxConn+s.MaxQueue {
			key := 0
			if inflight > 0 {
				key = (inflight + 1) * ewMax / int(t.eweight[i])
			}
			switch {
			case int(i) == avoid:
				avoided = i
			case best < 0 || key < bestKey:
				best, bestKey = i, key
			}
			if best >= 0 && bestKey == 0 {
				break
			}
		}
		if i = p.next[i]; i == p.head {
			break
		}
	}
	if best < 0 {
		if avoided < 0 {
			return Full
		}
		best = avoided
	}
	p.toBack(best)
	return int(best)
}
