package balance

// lcPicker is leastconn: the usable active server (under `option
// allbackups` without one, the usable backup server) with the fewest requests
// (assigned plus queued) relative to its weight, by HAProxy's key
// (n+1)*4096/(weight*16) for n > 0 and 0 for an idle server. Among servers
// of equal key HAProxy's tree keeps the order in which they were last
// requeued: when a server takes or releases a request, and when it comes up
// or its weight changes. Counters stamp the first two for every loop
// (requeue) and NewTable the others (requeueChanged), so the loops together
// choose among equal servers in HAProxy's order, the one requeued longest
// ago first, lowest index first among those never requeued. Pick stamps
// its choice at once, before the engine's take stamps it again: that
// changes nothing in HAProxy's order and keeps two loops picking at the
// same moment from choosing the same idle server. One lcPicker serves every
// loop. A pick reads every usable server's counters.
type lcPicker struct {
	t *Table
}

// requeueChanged stamps, in index order, the usable servers, active or
// backup, that came up or changed weight since prev, the previous Table of
// the backend (HAProxy requeues backup servers in their own tree).
func (t *Table) requeueChanged(prev *Table) {
	if prev == nil || len(prev.servers) != len(t.servers) {
		return
	}
	for i, ew := range t.eweight {
		if ew != 0 && prev.eweight[i] != ew {
			t.counters.requeue(i)
		}
	}
}

// Pick implements Picker.
func (p *lcPicker) Pick(_ *Key, avoid int) int {
	t := p.t
	group := t.group()
	if len(group) == 0 {
		if t.fbck >= 0 {
			return t.fbck
		}
		return None
	}
	best, avoided := -1, -1
	bestKey, bestStamp := 0, uint64(0)
	for _, m := range group {
		i := int(m)
		c := &t.counters.slots[i]
		key := 0
		if inflight := int(c.active.Load() + c.queued.Load()); inflight > 0 {
			if s := &t.servers[i]; s.MaxConn != 0 && inflight >= t.MaxConn(i)+s.MaxQueue {
				continue
			}
			key = (inflight + 1) * ewMax / int(t.eweight[i])
		}
		switch {
		case i == avoid:
			avoided = i
		case best < 0 || key < bestKey:
			best, bestKey, bestStamp = i, key, c.stamp.Load()
		case key == bestKey:
			if stamp := c.stamp.Load(); stamp < bestStamp {
				best, bestStamp = i, stamp
			}
		}
	}
	switch {
	case best >= 0:
	case avoided >= 0:
		best = avoided
	default:
		return Full
	}
	t.counters.requeue(best)
	return best
}
