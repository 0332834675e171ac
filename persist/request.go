package persist

// CookieStatus is what the request's persistence cookie did: the third
// character of HAProxy's %tsc log field.
type CookieStatus uint8

const (
	CookieNone    CookieStatus = iota // N: no persistence cookie
	CookieInvalid                     // I: no server carries the value
	CookieDown                        // D: the server is stopped, or the request was redispatched
	CookieValid                       // V: the cookie chose the server
	CookieExpired                     // E: last date older than maxidle, or over 24h ahead
	CookieOld                         // O: first date older than maxlife, or over 24h ahead
	CookieUnused                      // U: persistence ignored or a server already assigned
)

// Letter returns the status's %tsc character.
func (s CookieStatus) Letter() byte { return "NIDVEOU"[s] }

// Flags are the decisions taken before cookie processing that change it.
type Flags uint8

const (
	// ForcePersist: a force-persist rule matched (SF_FORCE_PRST). A stopped
	// server named by the cookie is used anyway.
	ForcePersist Flags = 1 << iota
	// IgnorePersist: an ignore-persist rule matched (SF_IGNORE_PRST). The
	// cookie is parsed and still stripped, but chooses nothing, and the
	// response is not touched.
	IgnorePersist
)

// Edit replaces the bytes [Off, End) of a field value with Text; Off ==
// End inserts. The edits of one field are sorted by Off and do not overlap
// (one may start where the previous ends); Off and End are offsets into
// the value as the caller passed it. Text is a view into the
// Table or into package data; it must not be modified.
type Edit struct {
	Off, End int
	Text     []byte
}

// Action tells the caller what to do with a field after the edits.
type Action uint8

const (
	Keep   Action = iota // forward the field, with the edits applied
	Remove               // delete the whole field line
)

// RequestState is the cookie state of one request, kept by the caller from
// the first Cookie field to the end of the response. It is a plain value:
// the zero value is not ready, use Table.Request. Not safe for concurrent
// use.
type RequestState struct {
	now       int64
	flags     Flags
	post      bool // method is POST, for postonly
	safe      bool // method is GET, HEAD, OPTIONS or TRACE (cacheable)
	assigned  bool // SF_ASSIGNED: a server is chosen
	direct    bool // SF_DIRECT: chosen by cookie or use-server
	status    CookieStatus
	server    int   // chosen server, -1 when none
	lastDate  int32 // seconds, 0 when absent
	firstDate int32 // seconds, 0 when absent
}

// Request starts the cookie state of a request received at the wall-clock
// second now, with the request method and the flags of the force-persist
// and ignore-persist rules (evaluated right after the backend is chosen).
// A matching use-server rule is then recorded with UseServer, before the
// Cookie fields are fed. Server indexes are positions in the
// Table's server list, so a RequestState must only be passed to the Table
// that started it: the engine loads the Table once per request and keeps
// it until the response is done, even if a new one is published meanwhile.
func (t *Table) Request(now int64, method []byte, flags Flags) RequestState {
	return RequestState{
		now:    now,
		flags:  flags,
		post:   string(method) == "POST",
		safe:   isSafeMethod(method),
		server: -1,
	}
}

// isSafeMethod reports whether HAProxy deems responses to the method
// cacheable: GET, HEAD, OPTIONS and TRACE (case-sensitive).
func isSafeMethod(m []byte) bool {
	switch string(m) {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return false
}

// Status returns the request cookie status.
func (rq *RequestState) Status() CookieStatus { return rq.status }

// Server returns the server chosen so far (by the cookie, use-server,
// Balanced or Redispatch), or -1.
func (rq *RequestState) Server() int { return rq.server }

// Direct reports whether the server was chosen by the cookie, use-server
// or a stick table (SF_DIRECT); load balancing must then be skipped and no
// cookie is inserted unless its dates need a refresh.
func (rq *RequestState) Direct() bool { return rq.direct }

// Dates returns the last-seen and first-seen dates carried by the request
// cookie, in seconds (0 when absent or expired).
func (rq *RequestState) Dates() (last, first int32) { return rq.lastDate, rq.firstDate }

// UseServer records the server chosen by a use-server rule (SF_ASSIGNED
// and SF_DIRECT). Cookies then choose nothing (status Unused), and a
// cookie is inserted only when its dates need a refresh.
func (rq *RequestState) UseServer(server int) { rq.assigned, rq.direct, rq.server = true, true, server }

// Balanced records the server chosen by load balancing after the cookie
// chose none.
func (rq *RequestState) Balanced(server int) { rq.assigned, rq.server = true, server }

// Stuck records a server chosen by a stick table: like a cookie choice it
// is direct, so a cookie is inserted only when its dates need a refresh.
func (rq *RequestState) Stuck(server int) { rq.assigned, rq.direct, rq.server = true, true, server }

// MayRedispatch reports whether a failed connection may move the request
// to another server with `option redispatch` set: not under force-persist.
func (rq *RequestState) MayRedispatch() bool { return rq.flags&ForcePersist == 0 }

// Redispatch records that a failed connection moved the request to server:
// the assignment is no longer direct, and a Valid cookie becomes Down when
// the server changed.
func (rq *RequestState) Redispatch(server int) {
	if server != rq.server && rq.status == CookieValid {
		rq.status = CookieDown
	}
	rq.assigned, rq.direct, rq.server = true, false, server
}

// Cookie processes one Cookie request field value. Fields are passed in
// order; value is the field value without leading and trailing blanks, as
// the head scanner delimits it. Cookie appends the edits to make to the
// value to edits and returns it with the field's Action: the removal of
// blanks around every '=', the removal of the persistence cookie in
// insert+indirect mode and of the server prefix in prefix mode. It
// allocates nothing when edits has room for them: most fields need none
// or one, plus up to two per cookie written with blanks around '='.
func (t *Table) Cookie(rq *RequestState, value []byte, edits []Edit) ([]Edit, Action) {
	base := len(edits)
	delFrom := -1 // pending deletion: the delimiter before our first cookie
	preserve := false
	for prev, first := 0, true; prev < len(value); first = false {
		e := ScanElement(value, prev, first, true)
		prev = e.Next
		if e.Name < len(value) && value[e.Name] == '$' {
			continue // RFC 2109 attribute: goes with the cookie before it
		}
		ours := e.HasValue() && t.isName(value[e.Name:e.NameEnd])
		if !ours {
			preserve = true
			if delFrom >= 0 {
				edits = deleteElements(value, edits, base, delFrom, e.Prev)
				delFrom = -1
			}
			if !e.HasValue() {
				continue
			}
		}
		edits = appendBlankEdits(edits, &e)
		if ours && t.ourCookie(rq, value, &e, &edits) && delFrom < 0 {
			delFrom = e.Prev
		}
	}
	if delFrom >= 0 {
		if !preserve {
			return edits[:base], Remove
		}
		edits = truncateFrom(edits, base, delFrom)
		edits = append(edits, Edit{Off: delFrom, End: len(value)})
	}
	// A field is removed only when the edits emptied it: an empty field
	// passes as it came, as HAProxy forwards it.
	if len(value) > 0 && editedLen(len(value), edits[base:]) == 0 {
		return edits[:base], Remove
	}
	return edits, Keep
}

// isName reports whether name is the backend's cookie name (case-sensitive).
func (t *Table) isName(name []byte) bool {
	return len(t.name) != 0 && string(name) == string(t.name)
}

// ourCookie applies the persistence cookie element e to rq and reports
// whether the element must be deleted (insert+indirect mode). In prefix
// mode it appends the removal of the server prefix.
func (t *Table) ourCookie(rq *RequestState, v []byte, e *Element, edits *[]Edit) bool {
	o := &t.opts
	val := v[e.Value:e.ValueEnd]
	id := val
	if o.Mode == Prefix {
		for i, c := range val {
			if c == '~' {
				id = val[:i]
				*edits = append(*edits, Edit{Off: e.Value, End: e.Value + i + 1})
				break
			}
		}
	} else {
		id = t.parseDates(rq, val)
	}
	if rq.firstDate != 0 && o.MaxLife != 0 &&
		(int32(rq.now-int64(rq.firstDate)) > int32(o.MaxLife) || int32(int64(rq.firstDate)-rq.now) > 86400) {
		rq.status, id = CookieOld, nil
		rq.firstDate, rq.lastDate = 0, 0
	} else if rq.lastDate != 0 && o.MaxIdle != 0 &&
		(int32(rq.now-int64(rq.lastDate)) > int32(o.MaxIdle) || int32(int64(rq.lastDate)-rq.now) > 86400) {
		rq.status, id = CookieExpired, nil
		rq.firstDate, rq.lastDate = 0, 0
	}
	found := false
	if len(id) != 0 && !rq.assigned && rq.flags&IgnorePersist == 0 {
		found = t.choose(rq, id)
	}
	if !found && rq.status == CookieNone {
		if rq.assigned || rq.flags&IgnorePersist != 0 {
			rq.status = CookieUnused
		} else {
			rq.status = CookieInvalid
		}
	}
	return o.Mode == Insert && o.Indirect
}

// parseDates reads the optional "|last[|first]" dates after the server id
// of val into rq, and returns the server id.
func (t *Table) parseDates(rq *RequestState, val []byte) []byte {
	bar := -1
	for i, c := range val {
		if c == '|' {
			bar = i
			break
		}
	}
	if bar < 0 {
		return val
	}
	rest := val[bar+1:]
	if len(rest) >= DateLen {
		if d := DecodeDate(rest); d > 0 {
			rq.lastDate = dateSeconds(d)
		}
	}
	for i, c := range rest {
		if c == '|' {
			if len(rest)-i > DateLen {
				if d := DecodeDate(rest[i+1:]); d > 0 {
					rq.firstDate = dateSeconds(d)
				}
			}
			break
		}
	}
	return val[:bar]
}

// choose walks the servers carrying id in declaration order and assigns
// the first one that is not stopped, or any with option persist or
// force-persist. A stopped server skipped on the way sets Down.
func (t *Table) choose(rq *RequestState, id []byte) bool {
	for _, i := range t.group(id) {
		s := &t.servers[i]
		if !s.stopped || t.persist || rq.flags&ForcePersist != 0 {
			rq.status = CookieValid
			if s.stopped {
				rq.status = CookieDown
			}
			rq.assigned, rq.direct, rq.server = true, true, int(i)
			return true
		}
		rq.status = CookieDown
	}
	return false
}

// blankDelims are the replacement texts of a deletion in the middle of a
// field: the delimiter that followed the deleted cookies and one space.
var blankDelims = [2][]byte{[]byte("; "), []byte(", ")}

// appendBlankEdits appends the removal of the blanks around e's '='.
func appendBlankEdits(edits []Edit, e *Element) []Edit {
	if e.NameEnd != e.Equal {
		edits = append(edits, Edit{Off: e.NameEnd, End: e.Equal})
	}
	if e.Value > e.Equal+1 {
		edits = append(edits, Edit{Off: e.Equal + 1, End: e.Value})
	}
	return edits
}

// deleteElements appends the deletion of the cookies from the delimiter at
// from (or the start) to the delimiter at next, which ends them, with
// HAProxy's spacing. HAProxy works in place, so its rules apply to the
// field as already edited: when nothing remains before from, the deletion
// takes the delimiter at next and the blanks after it; otherwise the
// blanks before from go too (including the space an earlier deletion put
// there), and the delimiter at next plus one space replace everything up
// to the next non-blank byte. Edits already recorded inside the deleted
// bytes are dropped.
func deleteElements(v []byte, edits []Edit, base, from, next int) []Edit {
	edits = truncateFrom(edits, base, from)
	var text []byte
	if editedLen(from, edits[base:]) == 0 {
		if next < len(v) {
			next++
		}
	} else {
		from, edits = blanksBefore(v, edits, base, from)
		if next < len(v) {
			text = blankDelims[0]
			if v[next] == ',' {
				text = blankDelims[1]
			}
			next++
		}
	}
	for next < len(v) && isBlank[v[next]] {
		next++
	}
	return append(edits, Edit{Off: from, End: next, Text: text})
}

// blanksBefore moves from back over the blanks that precede it in the
// edited field. Blanks at the end of an earlier replacement text are cut
// from that text; an earlier pure deletion reached this way is absorbed.
func blanksBefore(v []byte, edits []Edit, base, from int) (int, []Edit) {
	for {
		n := len(edits)
		if n > base && edits[n-1].End == from {
			e := &edits[n-1]
			switch {
			case len(e.Text) == 0:
				from = e.Off
				edits = edits[:n-1]
				continue
			case isBlank[e.Text[len(e.Text)-1]]:
				e.Text = e.Text[:len(e.Text)-1]
				continue
			}
			return from, edits
		}
		if from == 0 || !isBlank[v[from-1]] {
			return from, edits
		}
		from--
	}
}

// truncateFrom drops the edits of this field (after base) that start at or
// after off: they fall inside bytes being deleted.
func truncateFrom(edits []Edit, base, off int) []Edit {
	n := len(edits)
	for n > base && edits[n-1].Off >= off {
		n--
	}
	return edits[:n]
}

// editedLen returns the length of a value of length n after edits.
func editedLen(n int, edits []Edit) int {
	for _, e := range edits {
		n += len(e.Text) - (e.End - e.Off)
	}
	return n
}

// Apply writes value with edits applied to dst and returns the extended
// dst. Edits must be sorted and non-overlapping, as Cookie and
// ResponseField return them. When dst is value[:0] the edits are applied in
// place, which is safe for edits that never lengthen the value before their
// end (every request-side edit).
func Apply(dst, value []byte, edits []Edit) []byte {
	pos := 0
	for _, e := range edits {
		dst = append(dst, value[pos:e.Off]...)
		dst = append(dst, e.Text...)
		pos = e.End
	}
	return append(dst, value[pos:]...)
}
