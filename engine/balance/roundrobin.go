package balance

import "slices"

// rrPicker is roundrobin: HAProxy's fast weighted round robin (lb_fwrr.c),
// reproduced so that it hands out servers in the order HAProxy does.
// NewTable runs one to precompute the rotation the loops share (rrShared);
// when that is too long, each loop picks with its own. It is not safe for
// concurrent use. Each usable active server has a next
// position in a window as long as the sum of effective weights; the server
// with the lowest position is served and moves forward by the window length
// divided by its weight, carrying the remainder. Servers enter the window
// from an "init" tree ordered by decreasing weight and leave to a "next"
// tree for the following window. Trees order ties by insertion, as
// HAProxy's ebtrees do; here they are indexed binary heaps. A picker
// balances one group of servers, the active ones or, for `option
// allbackups`, the backup ones, as HAProxy keeps one fwrr group of each.
type rrPicker struct {
	t   *Table
	bck bool // the group: backup servers, else active ones
	srv []rrServer
	// trees holds the server indices of the current tree (treeCurr) and of
	// the two weight-ordered trees, which swap roles as init and next.
	trees      [3][]int32
	init, next int8
	seq        uint64 // insertion counter ordering equal keys

	currWeight int // window length of the current round
	nextWeight int // sum of effective weights, the next window's length
	currPos    int // position in the current window

	full []int32 // servers skipped by one Pick, reused
}

// rrShared is roundrobin over the Table's rotations, one Picker for every
// loop.
type rrShared struct {
	t *Table
}

// Pick implements Picker.
func (p *rrShared) Pick(_ *Key, avoid int) int {
	t := p.t
	if len(t.group()) == 0 {
		if t.fbck >= 0 {
			return t.fbck
		}
		return None
	}
	return t.serving().pick(t, avoid)
}

// serving returns the roundrobin rotation of the group that serves, the
// active servers' or, when none is usable, under `option allbackups` the
// backup servers'; nil when it is too long to precompute.
func (t *Table) serving() *rotation {
	if len(t.active) == 0 && t.bal.AllBackups {
		return t.brot
	}
	return t.rot
}

// members returns the usable servers of p's group.
func (p *rrPicker) members() []int32 {
	if p.bck {
		return p.t.backups
	}
	return p.t.active
}

// rrServer is one server's roundrobin state.
type rrServer struct {
	ew      int   // committed effective weight, 0 when not usable
	npos    int   // next position in the window
	lpos    int   // last position
	rweight int   // carried remainder of the position step
	key     int64 // sort key in its tree
	seq     uint64
	tree    int8  // the tree holding the server, or treeNone
	pos     int32 // index in its tree's heap
}

// Tree identifiers.
const (
	treeNone int8 = -1
	treeCurr int8 = 0
)

// ewMax is HAProxy's SRV_EWGHT_MAX: the largest effective weight.
const ewMax = maxWeight * Scale

// newRRPicker returns a roundrobin Picker for t over its backup servers
// (bck) or its active ones. With prev built for the same group of a Table
// of the same shape, it continues prev's rotation after applying each
// server's weight or state change as HAProxy does.
func newRRPicker(t *Table, prev *rrPicker, bck bool) *rrPicker {
	n := len(t.servers)
	p := &rrPicker{t: t, bck: bck, srv: make([]rrServer, n), full: make([]int32, 0, n)}
	for k := range p.trees {
		p.trees[k] = make([]int32, 0, n)
	}
	if prev != nil && sameShape(prev.t, t) {
		p.inherit(prev)
		return p
	}
	p.init, p.next = 1, 2
	for i := range p.srv {
		p.srv[i].tree = treeNone
	}
	for _, i := range p.members() {
		p.nextWeight += int(t.eweight[i])
	}
	p.currWeight, p.currPos = p.nextWeight, p.nextWeight
	for _, i := range p.members() {
		p.srv[i].ew = int(t.eweight[i])
		p.queueByWeight(p.init, i, p.srv[i].ew)
	}
	return p
}

// sameShape reports whether two tables have the same servers with the same
// backup flags, so that server state can carry over by index.
func sameShape(a, b *Table) bool {
	if len(a.servers) != len(b.servers) {
		return false
	}
	for i := range a.servers {
		if a.servers[i].Backup != b.servers[i].Backup {
			return false
		}
	}
	return true
}

// inherit copies prev's rotation and applies every change of effective
// weight of a server of p's group, in index order, as HAProxy's status-up,
// status-down and weight-update handlers do.
func (p *rrPicker) inherit(prev *rrPicker) {
	copy(p.srv, prev.srv)
	for k := range p.trees {
		p.trees[k] = append(p.trees[k], prev.trees[k]...)
	}
	p.init, p.next, p.seq = prev.init, prev.next, prev.seq
	p.currWeight, p.nextWeight, p.currPos = prev.currWeight, prev.nextWeight, prev.currPos
	for i := range p.srv {
		if p.t.servers[i].Backup != p.bck {
			continue
		}
		s := &p.srv[i]
		old, ew := s.ew, int(p.t.eweight[i])
		switch {
		case old == ew:
		case ew == 0: // down
			p.nextWeight -= old
			p.dequeue(int32(i))
			s.tree, s.ew = treeNone, 0
		case old == 0: // up
			p.nextWeight += ew
			s.npos = p.currPos + (p.nextWeight+p.currWeight-p.currPos)/ew
			s.ew = ew
			p.queue(int32(i), ew)
		default:
			p.nextWeight += ew - old
			p.reweight(int32(i), ew)
		}
	}
}

// reweight moves a usable server whose effective weight changes to ew.
func (p *rrPicker) reweight(i int32, ew int) {
	s := &p.srv[i]
	if s.tree == p.init {
		p.dequeue(i)
		p.queueByWeight(p.init, i, ew)
		s.ew = ew
		return
	}
	p.prepare(i)
	step := p.nextWeight / ew
	prevNext := s.npos
	s.npos = s.lpos + step
	s.rweight = 0
	if s.npos > prevNext {
		s.npos = prevNext
	}
	if s.npos < p.currPos+2 {
		s.npos = p.currPos + step
	}
	p.dequeue(i)
	p.queue(i, ew)
	s.ew = ew
}

// Pick implements Picker.
func (p *rrPicker) Pick(_ *Key, avoid int) int {
	t := p.t
	if len(t.group()) == 0 {
		if t.fbck >= 0 {
			return t.fbck
		}
		return None
	}
	switched := false
	avoided := int32(-1)
	p.full = p.full[:0]
	srv := int32(-1)
	for srv < 0 {
		if p.currWeight == 0 {
			p.currWeight, p.currPos = p.nextWeight, p.nextWeight
		}
		s := p.fromGroup()
		for s < 0 && !switched {
			switched = true
			p.switchTrees()
			s = p.fromGroup()
		}
		if s < 0 {
			srv = avoided
			break
		}
		p.advance(s)
		p.dequeue(s)
		p.currPos++
		if !t.full(int(s)) {
			if int(s) != avoid || avoided >= 0 {
				srv = s
				break
			}
			avoided = s
		}
		p.full = append(p.full, s)
	}
	if srv >= 0 {
		p.queue(srv, p.srv[srv].ew)
	}
	for k := len(p.full) - 1; k >= 0; k-- {
		f := p.full[k]
		switch {
		case f == srv:
		case switched:
			p.queueByWeight(p.init, f, p.srv[f].ew)
		default:
			p.queue(f, p.srv[f].ew)
		}
	}
	if srv < 0 {
		return Full
	}
	return int(srv)
}

// fromGroup returns the first server of the current tree if its turn has
// come, else the heaviest server waiting in the init tree, else the first
// server of the current tree anyway; -1 when both trees are empty.
func (p *rrPicker) fromGroup() int32 {
	s1 := p.first(treeCurr)
	if s1 >= 0 && p.srv[s1].ew != 0 && p.srv[s1].npos <= p.currPos {
		return s1
	}
	if s2 := p.first(p.init); s2 >= 0 && p.srv[s2].ew != 0 {
		p.srv[s2].npos, p.srv[s2].rweight = 0, 0
		return s2
	}
	return s1
}

// switchTrees starts a new window: the next tree becomes the init tree.
func (p *rrPicker) switchTrees() {
	p.init, p.next = p.next, p.init
	p.currWeight = p.nextWeight
	p.currPos = p.currWeight
}

// advance computes the next position of server i after it is served.
func (p *rrPicker) advance(i int32) {
	s := &p.srv[i]
	if s.ew == 0 {
		return
	}
	if s.npos == 0 {
		s.npos = p.currPos
	}
	s.lpos = s.npos
	s.npos += p.nextWeight / s.ew
	s.rweight += p.nextWeight % s.ew
	if s.rweight >= s.ew {
		s.rweight -= s.ew
		s.npos++
	}
}

// prepare adjusts a server's position before it changes trees: a server
// taken from init starts afresh, one taken from next gains the window
// length, one out of every tree starts at the current position.
func (p *rrPicker) prepare(i int32) {
	s := &p.srv[i]
	switch s.tree {
	case p.init:
		s.npos, s.rweight = 0, 0
	case p.next:
		s.npos += p.currWeight
	case treeNone:
		s.npos = p.currPos
	}
}

// queue places server i, with effective weight ew, in the current tree by
// position, or in the next tree when its position falls beyond this window.
func (p *rrPicker) queue(i int32, ew int) {
	s := &p.srv[i]
	switch {
	case ew <= 0:
		s.tree = treeNone
	case s.npos >= 2*p.currWeight || s.npos >= p.currWeight+p.nextWeight:
		s.npos -= p.currWeight
		p.queueByWeight(p.next, i, ew)
	default:
		p.insert(treeCurr, i, int64(maxWeight)*int64(s.npos)+int64((ewMax+s.rweight-ew)/Scale))
	}
}

// queueByWeight places server i in a weight-ordered tree, heaviest first.
func (p *rrPicker) queueByWeight(tree int8, i int32, ew int) {
	p.insert(tree, i, int64(ewMax-ew))
}

// insert adds server i to tree with key, after any server of equal key.
func (p *rrPicker) insert(tree int8, i int32, key int64) {
	s := &p.srv[i]
	p.seq++
	s.key, s.seq, s.tree = key, p.seq, tree
	h := p.trees[tree]
	s.pos = int32(len(h))
	p.trees[tree] = append(h, i)
	p.up(tree, int(s.pos))
}

// dequeue removes server i from its tree, if any. Its tree field keeps
// naming the tree until it is queued again, as HAProxy's lb_tree does.
func (p *rrPicker) dequeue(i int32) {
	s := &p.srv[i]
	if s.tree == treeNone || s.pos < 0 {
		return
	}
	h := p.trees[s.tree]
	j, last := int(s.pos), len(h)-1
	s.pos = -1
	if j != last {
		h[j] = h[last]
		p.srv[h[j]].pos = int32(j)
	}
	p.trees[s.tree] = h[:last]
	if j != last {
		p.down(s.tree, j)
		p.up(s.tree, j)
	}
}

// first returns the server with the lowest key in tree, or -1.
func (p *rrPicker) first(tree int8) int32 {
	if len(p.trees[tree]) == 0 {
		return -1
	}
	return p.trees[tree][0]
}

// less orders servers by key, then by insertion.
func (p *rrPicker) less(a, b int32) bool {
	x, y := &p.srv[a], &p.srv[b]
	return x.key < y.key || x.key == y.key && x.seq < y.seq
}

// up restores the heap order of tree from index j towards the root.
func (p *rrPicker) up(tree int8, j int) {
	h := p.trees[tree]
	for j > 0 {
		parent := (j - 1) / 2
		if !p.less(h[j], h[parent]) {
			break
		}
		p.swap(h, j, parent)
		j = parent
	}
}

// down restores the heap order of tree from index j towards the leaves.
func (p *rrPicker) down(tree int8, j int) {
	h := p.trees[tree]
	for {
		c := 2*j + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && p.less(h[c+1], h[c]) {
			c++
		}
		if !p.less(h[c], h[j]) {
			return
		}
		p.swap(h, j, c)
		j = c
	}
}

// swap exchanges two heap entries and their recorded positions.
func (p *rrPicker) swap(h []int32, a, b int) {
	h[a], h[b] = h[b], h[a]
	p.srv[h[a]].pos = int32(a)
	p.srv[h[b]].pos = int32(b)
}

// clone returns a copy of p that shares nothing with it.
func (p *rrPicker) clone() *rrPicker {
	c := *p
	c.srv = slices.Clone(p.srv)
	for k := range c.trees {
		c.trees[k] = slices.Clone(p.trees[k])
	}
	c.full = make([]int32, 0, cap(p.full))
	return &c
}

// step is Pick with no server full or avoided, for a picker with usable
// active servers: it returns the next server of the rotation.
func (p *rrPicker) step() int32 {
	if p.currWeight == 0 {
		p.currWeight, p.currPos = p.nextWeight, p.nextWeight
	}
	s := p.fromGroup()
	if s < 0 {
		p.switchTrees()
		s = p.fromGroup()
	}
	p.advance(s)
	p.dequeue(s)
	p.currPos++
	p.queue(s, p.srv[s].ew)
	return s
}
