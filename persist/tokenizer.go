package persist

// isBlank marks the bytes HAProxy skips around cookie names and values:
// space and horizontal tab.
var isBlank = [256]bool{' ': true, '\t': true}

// nameStopCookie and nameStopSetCookie mark the bytes that end a cookie
// name in Cookie and in Set-Cookie fields.
var (
	nameStopCookie    = [256]bool{'=': true, ';': true, ',': true}
	nameStopSetCookie = [256]bool{'=': true, ';': true}
)

// Element locates one cookie of a Cookie or Set-Cookie field value, as
// offsets into that value. It is a plain value and refers to nothing. In
// "x=1; n = v ;y" the second element has Prev 3, Name 5, NameEnd 6,
// Equal 7, Value 9, ValueEnd 10 and Next 11.
type Element struct {
	Prev     int // the delimiter before the element, or 0 for the first one
	Name     int // first byte of the name, after blanks
	NameEnd  int // after the last non-blank byte of the name
	Equal    int // the '=' byte, or Next when the element has no '='
	Value    int // first byte of the value after blanks; Equal when no '='
	ValueEnd int // after the last non-blank byte of the value
	Next     int // the delimiter ending the element, or the end of the field
}

// HasValue reports whether the element has an '=' (a name-only element
// such as "flag" has none).
func (e *Element) HasValue() bool { return e.Equal < e.Next }

// Blanks reports whether the element has an '=' with blanks around it;
// HAProxy removes them from the forwarded field.
func (e *Element) Blanks() bool {
	return e.HasValue() && (e.NameEnd != e.Equal || e.Value > e.Equal+1)
}

// ScanElement reads the element that starts at prev in v. For the first
// element prev is 0 and first is true; afterwards prev is the previous
// element's Next, which holds a delimiter. In request Cookie fields both ';'
// and ',' end a name (comma true); in Set-Cookie only ';' does. A value
// ends at the first ';' or ',' outside a quoted string, where '\' escapes
// the next byte. ScanElement never reads outside v.
func ScanElement(v []byte, prev int, first, comma bool) Element {
	e := Element{Prev: prev}
	p := prev
	if !first {
		p++
	}
	for p < len(v) && isBlank[v[p]] {
		p++
	}
	e.Name, e.NameEnd = p, p
	stop := &nameStopSetCookie
	if comma {
		stop = &nameStopCookie
	}
	for p < len(v) && !stop[v[p]] {
		if !isBlank[v[p]] {
			e.NameEnd = p + 1
		}
		p++
	}
	e.Equal = p
	if p >= len(v) || v[p] != '=' {
		e.Value, e.ValueEnd, e.Next = p, p, p
		return e
	}
	p++
	for p < len(v) && isBlank[v[p]] {
		p++
	}
	e.Value = p
	e.Next = valueEnd(v, p)
	e.ValueEnd = e.Next
	for e.ValueEnd > e.Value && isBlank[v[e.ValueEnd-1]] {
		e.ValueEnd--
	}
	return e
}

// valueSpecial marks the bytes that end a cookie value or open a quoted
// string in it.
var valueSpecial = [256]bool{'"': true, ';': true, ',': true}

// valueEnd returns the offset of the first ';' or ',' at or after p that is
// outside a quoted string, or len(v). Inside a quoted string '\' escapes
// the next byte; an unterminated string runs to the end.
func valueEnd(v []byte, p int) int {
	for p < len(v) {
		c := v[p]
		if !valueSpecial[c] {
			p++
			continue
		}
		if c != '"' {
			return p
		}
		for p++; p < len(v) && v[p] != '"'; p++ {
			if v[p] == '\\' {
				p++
			}
		}
		p++
	}
	return len(v)
}
