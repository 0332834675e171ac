package h1

import "bytes"

// The trailer section of a chunked body (RFC 9112 section 7.1.2) is checked
// as HAProxy 2.6 checks it, which parses it as a field section of its own
// and rebuilds it on the way out:
//
//   - Each line follows the field line rules of a head (doc.go), and the
//     section fills at most Limits.MaxTrailer bytes, final CRLF included.
//   - Content-Length values are checked as in a head and must agree; the
//     first such field is kept (a list reduced to its last element), the
//     others go, and all go when the section has a Transfer-Encoding.
//   - Transfer-Encoding lines together must end with chunked, applied
//     once; they are kept.
//   - Host fields must agree, ignoring case; the first is kept.
//   - A Connection field with an empty value goes.
//   - At most Limits.MaxHeaders-1 fields are kept while parsing, the
//     dropped Content-Length, Host and Connection ones not counted.
//
// Every other field passes as it came, hop-by-hop names included: HAProxy
// forwards Connection, Keep-Alive, TE or Upgrade in a trailer section.

// trailerScan is where the scan of a trailer section stands. Offsets are
// into the section, which the caller holds until it has come whole.
type trailerScan struct {
	scanned int     // bytes of the section scanned
	line    int     // start of the line being scanned
	colon   int     // offset of its colon
	fields  int     // fields HAProxy would keep, so far
	clen    int64   // the Content-Length the fields say, -1 before one
	host    Span    // value of the first Host field
	hosts   bool    // a Host field came
	te      teState // teSeen, teChunked and teLast of the Transfer-Encoding lines
}

// trailerSection scans buf, which starts at the trailer section and holds
// at least the bytes scanned by earlier calls, and consumes it once its
// final CRLF has come.
func (d *ChunkedDecoder) trailerSection(buf []byte) (int, Span, error) {
	if len(buf) < d.tr.scanned {
		panic("BUG: h1: trailer section given back shorter than scanned")
	}
	lim := min(len(buf), d.maxTrailer)
	i, err := d.trailerBytes(buf[:lim], d.tr.scanned)
	d.tr.scanned = i
	switch {
	case err != nil:
		return i, Span{}, err
	case d.state == cDone:
		return i, Span{}, nil
	case i == d.maxTrailer:
		return i, Span{}, ErrTrailerTooLarge
	}
	return 0, Span{}, nil
}

// trailerBytes advances through sec, the trailer section as far as it has
// come, from offset i until the section ends or sec does, and returns where
// it stopped.
func (d *ChunkedDecoder) trailerBytes(sec []byte, i int) (int, error) {
	for i < len(sec) {
		c := sec[i]
		switch d.state {
		case cTrailerStart:
			d.tr.line = i
			switch {
			case c == '\r':
				d.state = cEndLF
			case isTchar[c]:
				d.state = cTrailerName
			default:
				return i, ErrTrailer
			}
			i++
		case cTrailerName:
			for i < len(sec) && isTchar[sec[i]] {
				i++
			}
			if i == len(sec) {
				return i, nil
			}
			if sec[i] != ':' {
				return i, ErrTrailer
			}
			d.tr.colon = i
			d.state = cTrailerValue
			i++
		case cTrailerValue:
			for i < len(sec) && isFieldValue[sec[i]] {
				i++
			}
			if i == len(sec) {
				return i, nil
			}
			if sec[i] != '\r' {
				return i, ErrTrailer
			}
			d.state = cTrailerLF
			i++
		case cTrailerLF:
			if c != '\n' {
				return i, ErrBareCR
			}
			if err := d.trailerField(sec, i-1); err != nil {
				return d.tr.line, err
			}
			d.state = cTrailerStart
			i++
		case cEndLF:
			if c != '\n' {
				return i, ErrBareCR
			}
			if d.tr.te&(teSeen|teLast) == teSeen {
				return d.tr.line, ErrTransferEncoding
			}
			d.state = cDone
			return i + 1, nil
		}
	}
	return i, nil
}

// trailerField checks the field line of sec that starts at d.tr.line and
// whose CR is at cr, against the lines before it.
func (d *ChunkedDecoder) trailerField(sec []byte, cr int) error {
	t := &d.tr
	name := sec[t.line:t.colon]
	vs := trimOWS(sec, t.colon+1, cr)
	v := vs.Bytes(sec)
	kept := true
	switch fieldID(name) {
	case FieldContentLength:
		n, _, ok := parseContentLength(v)
		if !ok || (t.clen >= 0 && n != t.clen) {
			return ErrContentLength
		}
		kept = t.clen < 0
		t.clen = n
	case FieldTransferEncoding:
		t.te |= teSeen
		for j := 0; j < len(v); {
			var e []byte
			e, j = nextElem(v, j)
			switch {
			case len(e) == 0:
			case t.te&teChunked != 0:
				return ErrTransferEncoding // chunked twice, or a coding after it
			case EqualFold(e, "chunked"):
				t.te |= teChunked | teLast
			default:
				t.te &^= teLast
			}
		}
	case FieldHost:
		if t.hosts && !equalFold(v, t.host.Bytes(sec)) {
			return ErrDuplicateHost
		}
		kept = !t.hosts
		t.host, t.hosts = vs, true
	case FieldConnection:
		kept = len(v) > 0
	}
	if kept {
		if t.fields == d.maxFields {
			return ErrTooManyFields
		}
		t.fields++
	}
	return nil
}

// AppendTrailer appends to iov the trailer section as HAProxy forwards it,
// final CRLF included: sec is buf[:n] of the Next call that made Done
// true. The segments are views of sec, valid as long as its bytes are;
// runs of kept lines come as one segment. The fields that HAProxy drops
// are left out, and a Content-Length list is cut to its last element.
func (d *ChunkedDecoder) AppendTrailer(iov [][]byte, sec []byte) [][]byte {
	if d.state != cDone {
		panic("BUG: h1: AppendTrailer before the end of the body")
	}
	run := 0 // start of the kept bytes not appended yet
	var seen trailerSeen
	for i := 0; i < len(sec)-2; {
		l := d.trailerLine(sec, i, &seen)
		switch {
		case l.drop:
			iov = appendRun(iov, sec[run:i])
			run = l.end
		case l.cut:
			iov = appendRun(iov, sec[run:l.value.Off])
			iov = append(iov, l.last.Bytes(sec))
			run = l.end - 2
		}
		i = l.end
	}
	return append(iov, sec[run:])
}

// TrailerBytes returns the bytes of the names and values (without their
// surrounding blanks) of the fields AppendTrailer forwards from sec: what
// they take in HAProxy's internal form, which it counts in the size of a
// message.
func (d *ChunkedDecoder) TrailerBytes(sec []byte) int {
	n := 0
	var seen trailerSeen
	for i := 0; i < len(sec)-2; {
		l := d.trailerLine(sec, i, &seen)
		switch {
		case l.drop:
		case l.cut:
			n += l.colon - i + l.last.Len()
		default:
			n += l.colon - i + l.value.Len()
		}
		i = l.end
	}
	return n
}

// trailerSeen is what the lines before the current one of a trailer
// section held, for trailerLine.
type trailerSeen struct{ cl, host bool }

// trailerLineOut is one line of a scanned trailer section and HAProxy's
// verdict on it.
type trailerLineOut struct {
	end, colon  int  // the offsets after its LF and of its colon
	value, last Span // its value without blanks; for cut, the list's last element
	drop        bool // HAProxy drops the line
	cut         bool // a Content-Length list, cut to its last element
}

// trailerLine reads the line of sec, a whole trailer section already
// checked, that starts at i.
func (d *ChunkedDecoder) trailerLine(sec []byte, i int, seen *trailerSeen) trailerLineOut {
	var l trailerLineOut
	l.end = i + bytes.IndexByte(sec[i:], '\n') + 1
	l.colon = i + bytes.IndexByte(sec[i:l.end], ':')
	l.value = trimOWS(sec, l.colon+1, l.end-2)
	switch fieldID(sec[i:l.colon]) {
	case FieldContentLength:
		l.drop = seen.cl || d.tr.te&teSeen != 0
		_, l.cut, _ = parseContentLength(l.value.Bytes(sec))
		seen.cl = true
	case FieldHost:
		l.drop, seen.host = seen.host, true
	case FieldConnection:
		l.drop = l.value.Len() == 0
	}
	if l.cut && !l.drop {
		last := int(l.value.End)
		for last > int(l.value.Off) && sec[last-1] != ',' {
			last--
		}
		l.last = trimOWS(sec, last, int(l.value.End))
	}
	l.cut = l.cut && !l.drop
	return l
}

// appendRun appends b to iov unless it is empty.
func appendRun(iov [][]byte, b []byte) [][]byte {
	if len(b) == 0 {
		return iov
	}
	return append(iov, b)
}

// trimOWS returns the span of buf[i:j] without its leading and trailing
// spaces and tabs.
func trimOWS(buf []byte, i, j int) Span {
	for i < j && (buf[i] == ' ' || buf[i] == '\t') {
		i++
	}
	for j > i && (buf[j-1] == ' ' || buf[j-1] == '\t') {
		j--
	}
	return span(i, j)
}
