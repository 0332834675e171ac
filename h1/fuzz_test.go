package h1

import (
	"bytes"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Fuzz targets. Each checks that nothing panics, that every span lies
// inside the bytes scanned, and that feeding the input in pieces (a prefix,
// then the whole; and one byte at a time) gives the result scanning it
// whole gives. Seed corpora live in testdata/fuzz/<target>/.

// fuzzLimits are small enough for the fuzzer to reach every limit.
func fuzzLimits() Limits {
	return Limits{BufSize: 1024, MaxRewrite: 128, MaxHeaders: 9, MaxChunkExt: 16, MaxTrailer: 64}
}

// splits returns the split points worth trying for an input of n bytes: all
// of them for short inputs, a spread for longer ones.
func splits(n int) []int {
	var ks []int
	step := 1
	if n > 128 {
		step = n/64 + 1
	}
	for k := 0; k < n; k += step {
		ks = append(ks, k)
	}
	return append(ks, n-1)
}

func checkSpan(t *testing.T, what string, sp Span, n int) {
	t.Helper()
	if sp.Off > sp.End || int(sp.End) > n {
		t.Fatalf("%s span %v outside [0,%d]", what, sp, n)
	}
}

func checkHeader(t *testing.T, h *Header, n int) {
	t.Helper()
	if int(h.Head.End) != n {
		t.Fatalf("head ends at %d, n = %d", h.Head.End, n)
	}
	checkSpan(t, "head", h.Head, n)
	for _, f := range h.Fields {
		checkSpan(t, "name", f.Name, n)
		checkSpan(t, "value", f.Value, n)
		if f.Name.Len() == 0 || f.Name.End >= f.Value.Off {
			t.Fatalf("field %v", f)
		}
	}
}

type scanResult[M any] struct {
	n   int
	err error
	m   M
}

// scanPieces scans data through a fresh scanner, first a prefix of k bytes
// (k < 0: none), then byte by byte from there if bytewise, then the whole.
func scanPieces[M any](data []byte, k int, bytewise bool, scan func(s *Scanner, b []byte, m *M) (int, error)) scanResult[M] {
	s := NewScanner(fuzzLimits())
	var m M
	var r scanResult[M]
	start := len(data)
	if k >= 0 {
		start = k
	}
	for w := start; ; w++ {
		if !bytewise || w > len(data) {
			w = len(data)
		}
		r.n, r.err = scan(s, data[:w], &m)
		if r.err != ErrNeedMore || w == len(data) {
			break
		}
	}
	r.m = m
	return r
}

func checkPieces[M any](t *testing.T, data []byte, scan func(s *Scanner, b []byte, m *M) (int, error)) scanResult[M] {
	whole := scanPieces(data, -1, false, scan)
	same := func(how string, got scanResult[M]) {
		t.Helper()
		if got.n != whole.n || got.err != whole.err {
			t.Fatalf("%s: n %d err %v; whole: n %d err %v", how, got.n, got.err, whole.n, whole.err)
		}
		if got.err == nil && !reflect.DeepEqual(got.m, whole.m) {
			t.Fatalf("%s: %+v\nwhole: %+v", how, got.m, whole.m)
		}
	}
	for _, k := range splits(len(data)) {
		same("split", scanPieces(data, k, false, scan))
	}
	same("byte at a time", scanPieces(data, 0, true, scan))
	return whole
}

func FuzzScanRequest(f *testing.F) {
	f.Add(chromeRequest)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := checkPieces(t, data, func(s *Scanner, b []byte, m *Request) (int, error) { return s.Request(b, m) })
		if r.err == ErrNeedMore {
			return
		}
		if r.err != nil {
			var e *Error
			if !errors.As(r.err, &e) || e.Status < 400 {
				t.Fatalf("refusal %v without a status", r.err)
			}
			return
		}
		q := &r.m
		checkHeader(t, &q.Header, r.n)
		for _, sp := range []Span{q.Method, q.Target, q.Version, q.Authority} {
			checkSpan(t, "start line", sp, r.n)
		}
		if q.Method.Len() == 0 || q.Target.Len() == 0 || q.Version.Len() != 8 {
			t.Fatalf("start line %v %v %v", q.Method, q.Target, q.Version)
		}
		if q.Minor == 1 && q.Host < 0 {
			t.Fatal("HTTP/1.1 request accepted without Host")
		}
		if q.Framing == BodyChunked && q.ContentLength >= 0 {
			t.Fatal("chunked with a Content-Length")
		}
		// The head re-emitted untouched scans to the same fields.
		var e Editor
		e.Reset(data, &q.Header)
		out := e.AppendTo(nil)
		var again Request
		if _, err := NewScanner(fuzzLimits()).Request(out, &again); err != nil || len(again.Fields) != len(q.Fields) {
			t.Fatalf("re-emitted head: %v", err)
		}
	})
}

func FuzzScanResponse(f *testing.F) {
	f.Add(typicalResponse, uint8(MethodGET))
	f.Fuzz(func(t *testing.T, data []byte, method uint8) {
		m := Method(method % 10)
		r := checkPieces(t, data, func(s *Scanner, b []byte, p *Response) (int, error) { return s.Response(b, p, m) })
		if r.err != nil {
			return
		}
		p := &r.m
		checkHeader(t, &p.Header, r.n)
		for _, sp := range []Span{p.Version, p.Code, p.Reason} {
			checkSpan(t, "status line", sp, r.n)
		}
		if p.Status < 100 || p.Status > 599 {
			t.Fatalf("status %d", p.Status)
		}
		if (m == MethodHEAD || p.Status == 204 || p.Status == 304) && p.Framing != BodyNone && p.Framing != BodyTunnel {
			t.Fatalf("framing %d for a bodiless response", p.Framing)
		}
	})
}

func FuzzChunked(f *testing.F) {
	f.Add([]byte("3\r\nabc\r\n0\r\n\r\n"))
	f.Add([]byte("3\r\nabc\r\n0\r\nX: 1\r\nContent-Length: 2, 2\r\nHost: a\r\nHost: A\r\nConnection:\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		wantData, wantTr, wantN, wantDone, wantErr := decodeAll(in, 0, fuzzLimits())
		if wantN > len(in) || len(wantData) > len(in) || len(wantTr) > len(in) {
			t.Fatalf("consumed %d, data %d, trailer %d of %d bytes", wantN, len(wantData), len(wantTr), len(in))
		}
		for _, step := range []int{1, 2, 3, 5, 16} {
			data, tr, n, done, err := decodeAll(in, step, fuzzLimits())
			if data != wantData || tr != wantTr || n != wantN || done != wantDone || err != wantErr {
				t.Fatalf("step %d: %q %q %d %v %v; whole: %q %q %d %v %v", step, data, tr, n, done, err, wantData, wantTr, wantN, wantDone, wantErr)
			}
		}
		if !wantDone {
			return
		}
		// What the engine forwards decodes to the same data and the same
		// trailer section: the checks hold for what they let through.
		var out []byte
		if len(wantData) > 0 {
			out = strconv.AppendInt(out, int64(len(wantData)), 16)
			out = append(out, "\r\n"+wantData+"\r\n"...)
		}
		out = append(out, "0\r\n"+wantTr...)
		data, tr, n, done, err := decodeAll(out, 0, fuzzLimits())
		if err != nil || !done || n != len(out) || data != wantData || tr != wantTr {
			t.Fatalf("forwarded %q decodes to %q %q %d %v %v", out, data, tr, n, done, err)
		}
		// Each forwarded line is a line of the section, in order, but for
		// a Content-Length cut to its last element.
		sec := string(trailerOf(in[:wantN]))
		for _, l := range strings.SplitAfter(strings.TrimSuffix(wantTr, "\r\n"), "\r\n") {
			if l == "" {
				continue
			}
			k := strings.Index(sec, l)
			if k < 0 && EqualFold([]byte(l[:min(len(l), 15)]), "content-length:") {
				k = strings.Index(sec, l[:strings.IndexByte(l, ':')+1])
			}
			if k < 0 {
				t.Fatalf("forwarded line %q is not in the section %q", l, sec)
			}
			sec = sec[k+1:]
		}
	})
}

// trailerOf returns the trailer section that ends msg, a whole chunked body:
// what follows its last-chunk line.
func trailerOf(msg []byte) []byte {
	d := NewChunkedDecoder(fuzzLimits())
	for i := 0; ; {
		n, _, err := d.Next(msg[i:])
		if err != nil || n == 0 {
			panic("BUG: trailerOf: not a whole body")
		}
		if d.Done() {
			return msg[i:]
		}
		i += n
	}
}

// editModel is a reference for the editor: an edit list applied byte by
// byte, with overlap rules written out plainly.
type editModel struct {
	ranges [][3]int // off, end, index into repl
	ins    [][2]int // offset, index into repl
	repl   [][]byte
}

func (m *editModel) conflicts(off, end int) bool {
	for _, r := range m.ranges {
		if off < end && off < r[1] && r[0] < end {
			return true
		}
		if off == end && r[0] < off && off < r[1] {
			return true
		}
	}
	if off < end {
		for _, p := range m.ins {
			if off < p[0] && p[0] < end {
				return true
			}
		}
	}
	return false
}

// joins reports whether one pure deletion ends at p and another starts there.
func (m *editModel) joins(p int) bool {
	ends, starts := false, false
	for _, r := range m.ranges {
		if len(m.repl[r[2]]) == 0 {
			ends = ends || r[1] == p
			starts = starts || r[0] == p
		}
	}
	return ends && starts
}

func (m *editModel) add(off, end int, b []byte) {
	m.repl = append(m.repl, b)
	if off == end {
		m.ins = append(m.ins, [2]int{off, len(m.repl) - 1})
	} else {
		m.ranges = append(m.ranges, [3]int{off, end, len(m.repl) - 1})
	}
}

func (m *editModel) render(buf []byte, head Span) []byte {
	var out []byte
	for p := int(head.Off); p <= int(head.End); p++ {
		for _, in := range m.ins {
			if in[0] == p {
				out = append(out, m.repl[in[1]]...)
			}
		}
		deleted := false
		for _, r := range m.ranges {
			if r[0] == p {
				out = append(out, m.repl[r[2]]...)
			}
			deleted = deleted || r[0] <= p && p < r[1]
		}
		if p < int(head.End) && !deleted {
			out = append(out, buf[p])
		}
	}
	return out
}

func plainValue(b []byte) bool {
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func plainLine(l []byte) bool {
	c := bytes.IndexByte(l, ':')
	if c < 1 || !bytes.HasSuffix(l, []byte("\r\n")) || len(l) < c+3 || !plainValue(l[c+1:len(l)-2]) {
		return false
	}
	for _, b := range l[:c] {
		if !isTchar[b] {
			return false
		}
	}
	return true
}

func FuzzEditor(f *testing.F) {
	f.Add(chromeRequest, []byte{0, 3, 1, 2, 9, 2, 1, 'x', 3, 0})
	f.Fuzz(func(t *testing.T, head, ops []byte) {
		buf := head
		var r Request
		if _, err := NewScanner(DefaultLimits()).Request(buf, &r); err != nil {
			buf = chromeRequest
			if _, err := NewScanner(DefaultLimits()).Request(buf, &r); err != nil {
				t.Fatal(err)
			}
		}
		var e Editor
		e.Reset(buf, &r.Header)
		var m editModel
		hl := r.Head.Len()
		edits := 0
		for len(ops) >= 3 {
			op, a, b := ops[0]%4, int(ops[1]), int(ops[2])
			if len(r.Fields) == 0 && op%2 == 0 {
				op++ // a head without fields has no field to delete or replace
			}
			ops = ops[3:]
			n := min(b%8, len(ops))
			arg := ops[:n]
			var off, end int
			var repl []byte
			var err error
			valid := true
			switch op {
			case 0:
				i := a % len(r.Fields)
				off, end = int(r.Fields[i].Name.Off), bytes.IndexByte(buf[r.Fields[i].Value.End:], '\n')+int(r.Fields[i].Value.End)+1
				err = e.DeleteField(i)
			case 1:
				off = int(r.Head.Off) + a*hl/256
				end = off + min(b, int(r.Head.End)-off)
				err = e.Delete(Span{uint32(off), uint32(end)})
			case 2:
				i := a % len(r.Fields)
				off, end, repl = int(r.Fields[i].Value.Off), int(r.Fields[i].Value.End), arg
				valid = plainValue(arg)
				err = e.ReplaceValue(i, arg)
				ops = ops[n:]
			case 3:
				off, end, repl = int(r.Head.End)-2, int(r.Head.End)-2, append([]byte("X-F:"), append(arg, '\r', '\n')...)
				valid = plainLine(repl)
				err = e.Append(repl)
				ops = ops[n:]
			}
			switch {
			case op == 1 && off == end:
				if err != nil {
					t.Fatalf("empty deletion at %d: %v", off, err)
				}
			case !valid:
				if err != ErrEditValue && err != ErrEditLine {
					t.Fatalf("op %d on invalid bytes %q: %v", op, repl, err)
				}
			case m.conflicts(off, end):
				if err != ErrEditOverlap {
					t.Fatalf("op %d [%d,%d) overlaps, err %v", op, off, end, err)
				}
			case err == ErrEditOverlap && off == end && m.joins(off):
				// An insertion where two deletions meet: the editor merged
				// them if they came in order, and then sees the point inside.
			case edits == MaxEdits && err == ErrTooManyEdits:
			case err != nil:
				t.Fatalf("op %d [%d,%d): %v", op, off, end, err)
			default:
				m.add(off, end, repl)
				edits++
				if edits > MaxEdits {
					edits = MaxEdits // a merged deletion may not have used a slot
				}
			}
		}
		out := e.AppendTo(nil)
		if want := m.render(buf, r.Head); !bytes.Equal(out, want) {
			t.Fatalf("editor %q\nmodel  %q", out, want)
		}
		if got := bytes.Join(e.Segments(nil), nil); !bytes.Equal(got, out) || e.Len() != len(out) {
			t.Fatalf("Segments %q, Len %d, AppendTo %q", got, e.Len(), out)
		}
	})
}
