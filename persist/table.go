package persist

import (
	"bytes"
	"net/netip"
	"slices"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
)

// State is a server's administrative and health state as far as cookie
// persistence is concerned.
type State uint8

const (
	// Ready: running and eligible for load balancing.
	Ready State = iota
	// Drain: running with weight 0 (`state drain`, health `stopping`).
	// Persistent requests still reach it.
	Drain
	// Maint: forced maintenance (`state maint`, `disable server`,
	// `disabled`). The server is stopped.
	Maint
	// Down: health checks (or `health down`) report it down. The server is
	// stopped.
	Down
)

// Stopped reports whether HAProxy considers the state SRV_ST_STOPPED.
func (s State) Stopped() bool { return s == Maint || s == Down }

// Server is one server of a backend as Build sees it.
type Server struct {
	Name   string     // server name, used in duplicate warnings
	Cookie string     // explicit `cookie` value; "" when the keyword is absent
	Addr   netip.Addr // inet address; the zero Addr when there is none
	Port   uint32     // svc_port: 0 without a port, 2^32-N for "-N"
	State  State
	// NoDynamic marks a server that gets no dynamic cookie although the
	// backend enables them: HAProxy 2.6.12 computes none for a server
	// added with `add server` until its address or port changes.
	NoDynamic bool
}

// Backend is the input of Build: one backend's cookie configuration and its
// servers in declaration order.
type Backend struct {
	Name    string // backend name, used in duplicate warnings
	Options Options
	Key     string // dynamic-cookie-key; "" when unset
	Persist bool   // `option persist`
	Servers []Server
}

// Table is the immutable, per-backend cookie persistence data: the lookup
// from a cookie value to the servers that carry it and each server's
// pre-rendered Set-Cookie bytes. It is built off the hot path by Build and
// never changes afterwards, so it is safe for concurrent use; a changed
// backend gets a new Table (see Current). Byte slices returned by its
// methods are views into the Table and live as long as it does; callers
// must not modify them.
type Table struct {
	opts    Options
	persist bool
	name    []byte   // cookie name
	servers []server // declaration order
	slots   []slot   // open addressing over distinct cookie values
	mask    uint64   // len(slots)-1
	members []int32  // server indexes grouped by value, declaration order
	tail    []byte   // "; path=/" + attributes + CRLF
	removal []byte   // "set-cookie: NAME=; Expires=...; path=/" + attributes + CRLF
	dated   bool     // maxidle or maxlife: the value carries dates
}

// server is one server's rendered data.
type server struct {
	cookie  []byte // value, nil when the server has none
	stopped bool
	maint   bool   // forced maintenance: left out of duplicate checks
	head    []byte // "set-cookie: NAME=VALUE"
	prefix  []byte // "VALUE~" for prefix mode
}

// slot is one open-addressing entry; n == 0 marks an empty slot.
type slot struct {
	hash  uint64
	first int32 // index into members
	n     int32 // number of servers sharing the value
}

// SetCookieName is the field name HAProxy 2.6 emits for inserted cookies.
const SetCookieName = "set-cookie: "

// expired is what HAProxy writes for a server without a cookie value.
const expired = "=; Expires=Thu, 01-Jan-1970 00:00:01 GMT"

// DuplicateWarning is the first line of HAProxy's warning about two
// servers with the same dynamic cookie; DuplicateWarningKey follows it with
// the backend name in quotes and a final dot.
const (
	DuplicateWarning    = "We generated two equal cookies for two different servers."
	DuplicateWarningKey = "Please change the secret key for '"
)

// Build makes the Table of a backend. Servers without an explicit cookie
// get a dynamic one when the options enable them, a key is set and the
// server has an address. warnings holds one text per duplicate dynamic
// value, counted as HAProxy does at startup: each dynamic value, in
// declaration order, is compared with every other server not in Maint
// whose value is already known (servers declared later only count with an
// explicit value), and servers in Maint are not checked.
func Build(b *Backend) (t *Table, warnings []string) {
	o := &b.Options
	t = &Table{
		opts:    *o,
		persist: b.Persist,
		name:    []byte(o.Name),
		servers: make([]server, len(b.Servers)),
		dated:   o.MaxIdle != 0 || o.MaxLife != 0,
	}
	// All rendered bytes live in one arena; spans are turned into slices
	// once it has stopped growing.
	type span struct{ off, end int }
	head := []byte(SetCookieName + o.Name + "=")
	size := 0
	for i := range b.Servers {
		n := max(len(b.Servers[i].Cookie), DynamicLen)
		size += 2*n + len(head) + 1
	}
	arena := make([]byte, 0, size)
	put := func(parts ...[]byte) span {
		sp := span{off: len(arena)}
		for _, p := range parts {
			arena = append(arena, p...)
		}
		sp.end = len(arena)
		return sp
	}
	cookies := make([]span, len(b.Servers))
	heads := make([]span, len(b.Servers))
	prefixes := make([]span, len(b.Servers))
	dynamic := make([]bool, len(b.Servers))
	for i := range b.Servers {
		s := &b.Servers[i]
		t.servers[i].stopped = s.State.Stopped()
		t.servers[i].maint = s.State == Maint
		var v []byte
		switch {
		case s.Cookie != "":
			v = []byte(s.Cookie)
		case o.Dynamic && b.Key != "" && !s.NoDynamic:
			if d, ok := DynamicCookie(b.Key, s.Addr, s.Port); ok {
				v, dynamic[i] = d[:], true
			}
		}
		if v == nil {
			cookies[i].off = -1
			continue
		}
		cookies[i] = put(v)
		heads[i] = put(head, v)
		prefixes[i] = put(v, []byte{'~'})
	}
	for i := range t.servers {
		if c := cookies[i]; c.off >= 0 {
			s := &t.servers[i]
			s.cookie = arena[c.off:c.end:c.end]
			s.head = arena[heads[i].off:heads[i].end:heads[i].end]
			s.prefix = arena[prefixes[i].off:prefixes[i].end:prefixes[i].end]
		}
	}
	t.render()
	t.index()
	for i := range t.servers {
		if dynamic[i] && b.Servers[i].State != Maint {
			for n := t.duplicates(b.Servers, i); n > 0; n-- {
				warnings = append(warnings, DuplicateWarning+"\n"+DuplicateWarningKey+b.Name+"'.")
			}
		}
	}
	return t, warnings
}

// duplicates counts the servers other than i, not in Maint, whose value
// is known when server i's dynamic value is computed and equals it.
func (t *Table) duplicates(srv []Server, i int) int {
	n := 0
	for _, j := range t.group(t.servers[i].cookie) {
		if int(j) != i && srv[j].State != Maint && (int(j) < i || srv[j].Cookie != "") {
			n++
		}
	}
	return n
}

// Collisions returns how many other servers not in Maint carry server i's
// value: the number of duplicate warnings HAProxy prints when it
// recomputes one server's dynamic value at run time (`set server ...
// addr`, DNS) or enables it, unless server i itself is in Maint.
func (t *Table) Collisions(i int) int {
	s := &t.servers[i]
	if s.cookie == nil || s.maint {
		return 0
	}
	n := 0
	for _, j := range t.group(s.cookie) {
		if int(j) != i && !t.servers[j].maint {
			n++
		}
	}
	return n
}

// render pre-renders the Set-Cookie pieces shared by all servers.
func (t *Table) render() {
	o := &t.opts
	var suffix []byte
	suffix = append(suffix, "; path=/"...)
	for _, d := range o.Domains {
		suffix = append(append(suffix, "; domain="...), d...)
	}
	if o.HTTPOnly {
		suffix = append(suffix, "; HttpOnly"...)
	}
	if o.Secure {
		suffix = append(suffix, "; Secure"...)
	}
	for _, a := range o.Attrs {
		suffix = append(append(suffix, "; "...), a...)
	}
	suffix = append(suffix, "\r\n"...)
	t.tail = suffix
	t.removal = append(append(append([]byte(SetCookieName), o.Name...), expired...), suffix...)
}

// index builds the open-addressing lookup over distinct cookie values. The
// servers sharing a value are stored contiguously in members, in
// declaration order (a sort by value, then index, groups them).
func (t *Table) index() {
	t.members = make([]int32, 0, len(t.servers))
	for i := range t.servers {
		if t.servers[i].cookie != nil {
			t.members = append(t.members, int32(i))
		}
	}
	value := func(i int32) []byte { return t.servers[i].cookie }
	slices.SortFunc(t.members, func(a, b int32) int {
		if c := bytes.Compare(value(a), value(b)); c != 0 {
			return c
		}
		return int(a - b)
	})
	distinct := 0
	for k := range t.members {
		if k == 0 || !bytes.Equal(value(t.members[k]), value(t.members[k-1])) {
			distinct++
		}
	}
	n := 8
	for n < 2*distinct {
		n <<= 1
	}
	t.slots = make([]slot, n)
	t.mask = uint64(n - 1)
	for k := 0; k < len(t.members); {
		v := value(t.members[k])
		end := k + 1
		for end < len(t.members) && bytes.Equal(value(t.members[end]), v) {
			end++
		}
		h := xxhash.Sum64(v)
		i := h & t.mask
		for t.slots[i].n != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = slot{hash: h, first: int32(k), n: int32(end - k)}
		k = end
	}
}

// group returns the indexes of the servers whose cookie value is v, in
// declaration order, as a view into the Table; nil when none.
func (t *Table) group(v []byte) []int32 {
	h := xxhash.Sum64(v)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		sl := &t.slots[i]
		if sl.n == 0 {
			return nil
		}
		if sl.hash == h && bytes.Equal(t.servers[t.members[sl.first]].cookie, v) {
			return t.members[sl.first : sl.first+sl.n]
		}
	}
}

// Options returns the backend's cookie options. The slices it holds are
// shared with the Table and must not be modified.
func (t *Table) Options() *Options { return &t.opts }

// Len returns the number of servers.
func (t *Table) Len() int { return len(t.servers) }

// ServerCookie returns server i's cookie value (explicit or dynamic), or
// nil when it has none. The result is a view into the Table.
func (t *Table) ServerCookie(i int) []byte { return t.servers[i].cookie }

// Lookup returns the index of the first server in declaration order whose
// cookie value is v and that is not stopped, or -1. It is the plain lookup;
// Cookie applies the full request-side rules.
func (t *Table) Lookup(v []byte) int {
	for _, i := range t.group(v) {
		if !t.servers[i].stopped {
			return int(i)
		}
	}
	return -1
}

// Current holds the Table in use by the event loops. Loops call Load once
// per request and keep the pointer for the whole exchange; the control
// plane builds a new Table and calls Store. Neither side blocks the other.
// The zero Current holds nil.
type Current struct{ p atomic.Pointer[Table] }

// Load returns the Table in use.
func (c *Current) Load() *Table { return c.p.Load() }

// Store publishes t for the following Loads.
func (c *Current) Store(t *Table) { c.p.Store(t) }
