package balance

// lcPicker is leastconn: the usable active server with the fewest requests
// (assigned plus queued) relative to its weight, by HAProxy's key
// (n+1)*4096/(weight*16) for n > 0 and 0 for an idle server. HAProxy keeps
// equal keys in the order servers last changed count; here ties go round
// robin from the server after the loop's last choice, which gives the same
// order for requests that do not overlap. A scan stops at the first idle
// server; under load it reads every server's counters.
type lcPicker struct {
	t      *Table
	cursor int // position in t.active where the next scan starts
}

// Pick implements Picker.
func (p *lcPicker) Pick(_ *Key, avoid int) int {
	t := p.t
	n := len(t.active)
	if n == 0 {
		if t.fbck >= 0 {
			return t.fbck
		}
		return None
	}
	if p.cursor >= n {
		p.cursor = 0
	}
	best, bestAt, avoided, avoidedAt := -1, 0, -1, 0
	var bestKey int
	for j, at := 0, p.cursor; j < n; j++ {
		i := int(t.active[at])
		s := &t.servers[i]
		c := &t.counters.slots[i]
		inflight := int(c.active.Load() + c.queued.Load())
		if s.MaxConn == 0 || inflight < s.MaxConn+s.MaxQueue {
			key := 0
			if inflight > 0 {
				key = (inflight + 1) * ewMax / int(t.eweight[i])
			}
			switch {
			case i == avoid:
				avoided, avoidedAt = i, at
			case best < 0 || key < bestKey:
				best, bestAt, bestKey = i, at, key
			}
			if best >= 0 && bestKey == 0 {
				break
			}
		}
		if at++; at == n {
			at = 0
		}
	}
	if best < 0 {
		if avoided < 0 {
			return Full
		}
		best, bestAt = avoided, avoidedAt
	}
	p.cursor = bestAt + 1
	return best
}
