package persist

// SetCookieStatus is what happened to the persistence cookie in the
// response: the fourth character of HAProxy's %tsc log field.
type SetCookieStatus uint8

const (
	SetCookieNone     SetCookieStatus = iota // N: none seen or inserted
	SetCookieFound                           // P: the server's cookie passed as is
	SetCookieDeleted                         // D: the server's cookie was deleted
	SetCookieInserted                        // I: a cookie was inserted
	SetCookieReplaced                        // R: the server's cookie was rewritten or prefixed
	SetCookieUpdated                         // U: the same server's cookie was refreshed
)

// Letter returns the status's %tsc character.
func (s SetCookieStatus) Letter() byte { return "NPDIRU"[s] }

// ResponseState is the cookie state of one response, kept by the caller
// while it scans the response head. Not safe for concurrent use.
type ResponseState struct {
	active bool // the status is not an interim 1xx (101 is processed)
	status SetCookieStatus
	cache  Cache
}

// Response starts the processing of a response with the given status to
// the request rq. HAProxy skips all cookie processing for 1xx statuses
// other than 101; ResponseField and Insert then do nothing.
func (t *Table) Response(rq *RequestState, status int) ResponseState {
	return ResponseState{
		active: status >= 200 || status == 101,
		cache:  newCache(rq.safe, status),
	}
}

// Status returns the Set-Cookie status so far.
func (rs *ResponseState) Status() SetCookieStatus { return rs.status }

// Cache returns the cacheability collected from the response fields.
func (rs *ResponseState) Cache() *Cache { return &rs.cache }

// ResponseField processes one response field, in order, given its name
// (any case) and its value without surrounding blanks. Set-Cookie fields
// are edited: the blanks around the first '=' go, and the persistence
// cookie is deleted (Remove), rewritten or prefixed as the mode says;
// the edits are appended to edits. Cache-Control, Pragma, Expires, ETag
// and Last-Modified feed the cacheability rules used by nocache. Other
// fields are ignored. Set-Cookie2 is ignored, as HAProxy 2.7 and later do.
// Edit texts are views into the Table.
func (t *Table) ResponseField(rq *RequestState, rs *ResponseState, name, value []byte, edits []Edit) ([]Edit, Action) {
	if !rs.active {
		return edits, Keep
	}
	switch {
	case equalFold(name, "set-cookie"):
		return t.setCookie(rq, rs, value, edits)
	case equalFold(name, "cache-control"):
		rs.cache.cacheControl(value)
	case equalFold(name, "pragma"):
		rs.cache.pragma(value)
	case equalFold(name, "expires"):
		rs.cache.fresh = true
	case equalFold(name, "etag"), equalFold(name, "last-modified"):
		rs.cache.validator = true
	}
	return edits, Keep
}

// setCookie handles one Set-Cookie value: only its first name=value pair.
func (t *Table) setCookie(rq *RequestState, rs *ResponseState, v []byte, edits []Edit) ([]Edit, Action) {
	e := ScanElement(v, 0, true, false)
	if !e.HasValue() {
		return edits, Keep
	}
	base := len(edits)
	edits = appendBlankEdits(edits, &e)
	if rq.flags&IgnorePersist != 0 || !t.isName(v[e.Name:e.NameEnd]) {
		return edits, Keep
	}
	o := &t.opts
	rs.status = SetCookieFound
	var srv *server
	if rq.server >= 0 {
		srv = &t.servers[rq.server]
	}
	switch {
	case o.Preserve:
	case (srv != nil && o.Mode == Insert) || (rq.direct && o.Indirect):
		rs.status = SetCookieDeleted
		return edits[:base], Remove
	case srv != nil && srv.cookie != nil && o.Mode == Rewrite:
		edits = append(edits, Edit{Off: e.Value, End: e.ValueEnd, Text: srv.cookie})
		rs.status = SetCookieReplaced
	case srv != nil && srv.cookie != nil && o.Mode == Prefix:
		edits = append(edits, Edit{Off: e.Value, End: e.Value, Text: srv.prefix})
		rs.status = SetCookieReplaced
	}
	return edits, Keep
}

// Insertion is the Set-Cookie field to append to a response, in pieces:
// Head, then Dates[:NDates], then Tail, each line ending in CRLF, followed
// by CacheControlPrivate when CacheControl is set. Head and Tail are views
// into the Table. The zero Insertion inserts nothing.
type Insertion struct {
	Head         []byte
	Dates        [2 * (1 + DateLen)]byte
	NDates       uint8
	Tail         []byte
	CacheControl bool
}

// CacheControlPrivate is the field nocache appends after an insertion.
var CacheControlPrivate = []byte("cache-control: private\r\n")

// Empty reports whether nothing is to be inserted.
func (in *Insertion) Empty() bool { return in.Head == nil }

// AppendTo appends the inserted field lines to dst.
func (in *Insertion) AppendTo(dst []byte) []byte {
	if in.Head == nil {
		return dst
	}
	dst = append(dst, in.Head...)
	dst = append(dst, in.Dates[:in.NDates]...)
	dst = append(dst, in.Tail...)
	if in.CacheControl {
		dst = append(dst, CacheControlPrivate...)
	}
	return dst
}

// Insert decides, once the response fields have been processed, whether a
// Set-Cookie field is appended (insert mode), with dates for the
// wall-clock second now, and whether `cache-control: private` follows.
// HAProxy's own error responses must not go through it.
func (t *Table) Insert(rq *RequestState, rs *ResponseState, now int64) Insertion {
	o := &t.opts
	var in Insertion
	if !rs.active || rq.server < 0 || o.Mode != Insert || rq.flags&IgnorePersist != 0 ||
		(o.Preserve && rs.status == SetCookieFound) || (o.PostOnly && !rq.post) {
		return in
	}
	last, first := rq.lastDate, rq.firstDate
	due := !rq.direct ||
		((o.MaxIdle != 0 || last != 0) && (last == 0 || int64(last)-now < 0)) ||
		(o.MaxLife != 0 && first == 0) ||
		(o.MaxLife == 0 && first != 0)
	if !due {
		return in
	}
	srv := &t.servers[rq.server]
	if srv.cookie == nil {
		in.Head = t.removal
		rs.status = SetCookieInserted
	} else {
		in.Head, in.Tail = srv.head, t.tail
		if t.dated {
			stamp := DateStamp(now)
			in.addDate(stamp)
			if o.MaxLife != 0 {
				if first != 0 {
					stamp = first >> 2
				}
				in.addDate(stamp)
			}
		}
		rs.status = SetCookieInserted
		if rq.direct {
			rs.status = SetCookieUpdated
		}
	}
	in.CacheControl = o.NoCache && rs.cache.Cacheable()
	return in
}

// addDate appends "|" and the encoded date.
func (in *Insertion) addDate(v int32) {
	in.Dates[in.NDates] = '|'
	d := EncodeDate(v)
	copy(in.Dates[in.NDates+1:], d[:])
	in.NDates += 1 + DateLen
}

// LogFlags returns the two cookie characters of HAProxy's %tsc field for
// the request and its response: "--" unless the backend's cookie has a
// mode or indirect, as in passive mode.
func (t *Table) LogFlags(rq *RequestState, rs *ResponseState) [2]byte {
	o := &t.opts
	if o.Name == "" || (o.Mode == Passive && !o.Indirect) {
		return [2]byte{'-', '-'}
	}
	return [2]byte{rq.status.Letter(), rs.status.Letter()}
}

// equalFold reports whether b equals the lowercase ASCII string s, ignoring
// the case of b.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
