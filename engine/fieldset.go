package engine

import (
	"tether/engine/config"
	"tether/h1"
)

// maxAddedFields bounds the fields the rules of one message add.
const maxAddedFields = 64

// fieldSet is the header of a request or a response as http-request and
// http-response rules see and edit it: the fields scanned, less those the
// rules deleted, then those they added, in order. Deleting marks a field;
// adding writes the line "name: value\r\n" into an arena of fixed capacity
// (tune.maxrewrite), so a set never allocates. The head, the scanned
// fields and the arena belong to the message's owner; a set is reset for
// each message and its views live as long as the message's head.
type fieldSet struct {
	head   []byte
	fields []h1.Field
	del    []uint64 // bit i set: scanned field i is deleted; room for tune.http.maxhdr fields
	arena  *[]byte  // the added lines and new values, never grown past its capacity
	added  []addedField
	values []newValue // the scanned fields whose value a rule replaced
	vars   varStore   // the exchange's variables and unique ID: used in the request's set only
}

// newValue is the value a rule gave scanned field i: arena[off:end].
type newValue struct {
	i        int
	off, end uint32
}

// addedField is a line a rule added: arena[off:end], its name
// arena[off:colon], its value arena[colon+2:end-2].
type addedField struct {
	off, colon, end uint32
	gone            bool // a later rule deleted it
}

func newFieldSet(l h1.Limits) fieldSet {
	return fieldSet{
		del:    make([]uint64, (l.MaxHeaders+63)/64),
		added:  make([]addedField, 0, maxAddedFields),
		values: make([]newValue, 0, maxAddedFields),
	}
}

// reset makes the set the header of a new message.
func (fs *fieldSet) reset(head []byte, fields []h1.Field, arena *[]byte) {
	clear(fs.del[:min(len(fs.del), (len(fs.fields)+63)/64)]) // the previous message's marks
	fs.head, fs.fields, fs.arena, fs.added, fs.values = head, fields, arena, fs.added[:0], fs.values[:0]
	fs.vars.reset()
}

// n returns the number of fields, deleted ones included: the indexes of
// field run from 0 to n-1.
func (fs *fieldSet) n() int { return len(fs.fields) + len(fs.added) }

// field returns the name and value of field i, nil for a deleted one.
func (fs *fieldSet) field(i int) (name, value []byte) {
	if i < len(fs.fields) {
		if fs.deleted(i) {
			return nil, nil
		}
		f := &fs.fields[i]
		if v, ok := fs.newValue(i); ok {
			return f.Name.Bytes(fs.head), v
		}
		return f.Name.Bytes(fs.head), f.Value.Bytes(fs.head)
	}
	a := &fs.added[i-len(fs.fields)]
	if a.gone {
		return nil, nil
	}
	b := *fs.arena
	return b[a.off:a.colon], b[a.colon+2 : a.end-2]
}

// newValue returns the value a rule gave scanned field i, if any.
func (fs *fieldSet) newValue(i int) ([]byte, bool) {
	for k := len(fs.values) - 1; k >= 0; k-- {
		if v := &fs.values[k]; v.i == i {
			return (*fs.arena)[v.off:v.end], true
		}
	}
	return nil, false
}

// setValue gives field i the value v, copied into the arena; an added
// field's line is written anew, in its place among the added ones.
func (fs *fieldSet) setValue(i int, v []byte) error {
	w := boundedWriter{b: *fs.arena}
	off := len(w.b)
	if i < len(fs.fields) {
		w.bytes(v)
		if w.over || len(fs.values) == cap(fs.values) {
			return h1.ErrTooManyEdits
		}
		*fs.arena = w.b
		fs.values = append(fs.values, newValue{i: i, off: uint32(off), end: uint32(len(w.b))})
		return nil
	}
	a := &fs.added[i-len(fs.fields)]
	name := (*fs.arena)[a.off:a.colon]
	w.bytes(name)
	colon := len(w.b)
	w.write(": ")
	w.bytes(v)
	w.write("\r\n")
	if w.over {
		return h1.ErrTooManyEdits
	}
	*fs.arena = w.b
	a.off, a.colon, a.end = uint32(off), uint32(colon), uint32(len(w.b))
	return nil
}

// deleted reports whether scanned field i was deleted.
func (fs *fieldSet) deleted(i int) bool { return fs.del[i/64]&(1<<(i%64)) != 0 }

// remove deletes field i.
func (fs *fieldSet) remove(i int) {
	if i < len(fs.fields) {
		fs.del[i/64] |= 1 << (i % 64)
		return
	}
	fs.added[i-len(fs.fields)].gone = true
}

// removeNamed deletes the fields whose name ru matches (del-header), or
// named name when ru is nil, up to field n (excluded).
func (fs *fieldSet) removeNamed(ru *config.HTTPRule, name string, n int) {
	for i := 0; i < n; i++ {
		f, _ := fs.field(i)
		if f == nil {
			continue
		}
		if ru != nil && ru.MatchName(f) || ru == nil && h1.EqualFold(f, name) {
			fs.remove(i)
		}
	}
}

// find returns the value of the first field named name, or nil.
func (fs *fieldSet) find(name string) []byte {
	for i, n := 0, fs.n(); i < n; i++ {
		if f, v := fs.field(i); f != nil && h1.EqualFold(f, name) {
			return v
		}
	}
	return nil
}

// last returns the value of the last field named name; ok is false when
// there is none.
func (fs *fieldSet) last(name string) (value []byte, ok bool) {
	for i := fs.n() - 1; i >= 0; i-- {
		if f, v := fs.field(i); f != nil && h1.EqualFold(f, name) {
			return v, true
		}
	}
	return nil, false
}

// line returns the i-th line the rules added, nil when a later rule
// deleted it: the caller appends the lines to the head it edits.
func (fs *fieldSet) line(i int) []byte {
	if a := &fs.added[i]; !a.gone {
		return (*fs.arena)[a.off:a.end]
	}
	return nil
}
