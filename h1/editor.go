package h1

// MaxEdits is the number of edits one Editor holds. Deleting neighbouring
// field lines one after the other takes one edit, as the deletions merge.
const MaxEdits = 64

// Editor records changes to a scanned head and emits the edited head,
// without re-serialising it: every byte not deleted or replaced goes out as
// it arrived, field names keep their case, and the output is a few segments
// of the original window interleaved with the caller's replacement bytes.
//
// The Editor keeps views: of the window given to Reset and of every byte
// slice given to Replace, ReplaceValue and Append. They must stay unchanged
// until the edited head has been emitted. An Editor is reused from head to
// head, holds its edits in a fixed array and does not allocate. It is not
// safe for concurrent use.
type Editor struct {
	buf   []byte  // the scanned window
	h     *Header // the head being edited
	edits [MaxEdits]edit
	n     int // edits in use, sorted by offset
	size  int // length of the edited head
}

// edit replaces buf[off:end] by b. off == end inserts; a nil b deletes.
type edit struct {
	off, end int
	b        []byte
}

// Reset starts editing the head h scanned from buf, dropping earlier edits.
// Offsets given to the editor are offsets in buf, as in spans.
func (e *Editor) Reset(buf []byte, h *Header) {
	if int(h.Head.End) > len(buf) {
		panic("BUG: h1: Editor.Reset with a window shorter than the head")
	}
	e.buf, e.h, e.n = buf, h, 0
	e.size = h.Head.Len()
}

// Len returns the length of the edited head.
func (e *Editor) Len() int { return e.size }

// DeleteField removes field line i, from its name to its CRLF.
func (e *Editor) DeleteField(i int) error {
	f := e.h.Fields[i]
	end := int(f.Value.End)
	for e.buf[end] != '\n' {
		end++
	}
	return e.add(int(f.Name.Off), end+1, nil)
}

// Delete removes the bytes of sp, for example one cookie and its separator
// out of a Cookie value. The caller keeps the field syntactically valid. An
// empty sp deletes nothing and is not recorded.
func (e *Editor) Delete(sp Span) error {
	if sp.Off == sp.End {
		return nil
	}
	return e.add(int(sp.Off), int(sp.End), nil)
}

// Replace puts b in place of the bytes of sp: a value, part of a value, or
// a part of the start line. b may be shorter, as long or longer, and must
// hold no CR, LF or other control byte but HTAB.
func (e *Editor) Replace(sp Span, b []byte) error {
	for _, c := range b {
		if !isFieldValue[c] {
			return ErrEditValue
		}
	}
	return e.add(int(sp.Off), int(sp.End), b)
}

// ReplaceValue puts v in place of the value of field i.
func (e *Editor) ReplaceValue(i int, v []byte) error { return e.Replace(e.h.Fields[i].Value, v) }

// Append adds a field line before the empty line that ends the head. line
// is rendered in full, "name: value\r\n". Lines appended keep their order.
func (e *Editor) Append(line []byte) error {
	if !validLine(line) {
		return ErrEditLine
	}
	at := int(e.h.Head.End) - 2
	return e.add(at, at, line)
}

// Mark is a state of an Editor that Rewind returns to.
type Mark struct{ n, size int }

// Mark returns the Editor's state, for Rewind.
func (e *Editor) Mark() Mark { return Mark{e.n, e.size} }

// Rewind drops the lines appended since m was taken, which must be the only
// edits made since: a head can so be finished anew for another attempt
// (a field naming the server it goes to).
func (e *Editor) Rewind(m Mark) {
	clear(e.edits[m.n:e.n]) // drop the views of the caller's bytes
	e.n, e.size = m.n, m.size
}

// validLine reports whether line is one field line ending in CRLF.
func validLine(line []byte) bool {
	i := 0
	for i < len(line) && isTchar[line[i]] {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ':' || len(line)-i < 3 {
		return false
	}
	for _, c := range line[i+1 : len(line)-2] {
		if !isFieldValue[c] {
			return false
		}
	}
	return line[len(line)-2] == '\r' && line[len(line)-1] == '\n'
}

// add records an edit of buf[off:end]. Edits stay sorted by offset, an
// insertion before a removal at the same offset and insertions in the order
// they came, and never overlap; so the end offsets never decrease either,
// and only the neighbours of a new edit can conflict with it.
func (e *Editor) add(off, end int, b []byte) error {
	if off > end || off < int(e.h.Head.Off) || end > int(e.h.Head.End) {
		panic("BUG: h1: edit outside the head")
	}
	k := e.n
	for k > 0 && (e.edits[k-1].off > off || e.edits[k-1].off == off && end == off && e.edits[k-1].end > off) {
		k--
	}
	if k > 0 && e.edits[k-1].end > off || k < e.n && end > e.edits[k].off {
		return ErrEditOverlap
	}
	if k > 0 && k == e.n && off < end && len(b) == 0 {
		if p := &e.edits[k-1]; p.end == off && p.off < p.end && len(p.b) == 0 {
			p.end = end
			e.size -= end - off
			return nil
		}
	}
	if e.n == MaxEdits {
		return ErrTooManyEdits
	}
	e.size += len(b) - (end - off)
	copy(e.edits[k+1:e.n+1], e.edits[k:e.n])
	e.edits[k] = edit{off: off, end: end, b: b}
	e.n++
	return nil
}

// Segments appends the edited head to dst as slices for writev and returns
// the extended dst: at most 2*MaxEdits+1 of them, views of the window and of
// the caller's bytes.
func (e *Editor) Segments(dst [][]byte) [][]byte {
	pos := int(e.h.Head.Off)
	for i := 0; i < e.n; i++ {
		ed := &e.edits[i]
		if ed.off > pos {
			dst = append(dst, e.buf[pos:ed.off])
		}
		if len(ed.b) > 0 {
			dst = append(dst, ed.b)
		}
		pos = ed.end
	}
	if end := int(e.h.Head.End); end > pos {
		dst = append(dst, e.buf[pos:end])
	}
	return dst
}

// AppendTo appends the edited head to dst and returns the extended slice.
func (e *Editor) AppendTo(dst []byte) []byte {
	pos := int(e.h.Head.Off)
	for i := 0; i < e.n; i++ {
		ed := &e.edits[i]
		dst = append(dst, e.buf[pos:ed.off]...)
		dst = append(dst, ed.b...)
		pos = ed.end
	}
	return append(dst, e.buf[pos:e.h.Head.End]...)
}
