package h1

import (
	"bytes"
	"testing"
)

const editReq = "GET /a HTTP/1.1\r\nHost: a\r\nCookie: x=1; SRV=s1; y=2\r\nConnection: keep-alive\r\nX-Drop: 1\r\n\r\n"

func editorFor(t *testing.T, in string) (*Editor, *Request, []byte) {
	t.Helper()
	buf := []byte(in)
	var r Request
	if _, err := NewScanner(DefaultLimits()).Request(buf, &r); err != nil {
		t.Fatal(err)
	}
	var e Editor
	e.Reset(buf, &r.Header)
	return &e, &r, buf
}

// emit returns the edited head both ways and checks they agree with Len.
func emit(t *testing.T, e *Editor) string {
	t.Helper()
	a := string(e.AppendTo(nil))
	segs := e.Segments(nil)
	if got := string(bytes.Join(segs, nil)); got != a {
		t.Fatalf("Segments %q, AppendTo %q", got, a)
	}
	for _, s := range segs {
		if len(s) == 0 {
			t.Fatal("empty segment")
		}
	}
	if e.Len() != len(a) {
		t.Fatalf("Len %d, emitted %d", e.Len(), len(a))
	}
	return a
}

func TestEditor(t *testing.T) {
	tests := []struct {
		name string
		edit func(e *Editor, r *Request, buf []byte) error
		want string
	}{
		{"untouched", func(e *Editor, r *Request, buf []byte) error { return nil }, editReq},
		{"delete field", func(e *Editor, r *Request, buf []byte) error { return e.DeleteField(r.Find(buf, "x-drop", 0)) },
			"GET /a HTTP/1.1\r\nHost: a\r\nCookie: x=1; SRV=s1; y=2\r\nConnection: keep-alive\r\n\r\n"},
		{"delete neighbours", func(e *Editor, r *Request, buf []byte) error {
			if err := e.DeleteField(2); err != nil {
				return err
			}
			return e.DeleteField(3)
		}, "GET /a HTTP/1.1\r\nHost: a\r\nCookie: x=1; SRV=s1; y=2\r\n\r\n"},
		{"delete one cookie", func(e *Editor, r *Request, buf []byte) error {
			v := r.Fields[1].Value
			off := v.Off + uint32(bytes.Index(v.Bytes(buf), []byte("SRV")))
			return e.Delete(Span{off, off + uint32(len("SRV=s1; "))})
		}, "GET /a HTTP/1.1\r\nHost: a\r\nCookie: x=1; y=2\r\nConnection: keep-alive\r\nX-Drop: 1\r\n\r\n"},
		{"replace shorter", func(e *Editor, r *Request, buf []byte) error { return e.ReplaceValue(2, []byte("close")) },
			"GET /a HTTP/1.1\r\nHost: a\r\nCookie: x=1; SRV=s1; y=2\r\nConnection: close\r\nX-Drop: 1\r\n\r\n"},
		{"replace longer", func(e *Editor, r *Request, buf []byte) error { return e.ReplaceValue(0, []byte("example.com:8080")) },
			"GET /a HTTP/1.1\r\nHost: example.com:8080\r\nCookie: x=1; SRV=s1; y=2\r\nConnection: keep-alive\r\nX-Drop: 1\r\n\r\n"},
		{"replace target", func(e *Editor, r *Request, buf []byte) error { return e.Replace(r.Target, []byte("/b/c")) },
			"GET /b/c HTTP/1.1\r\nHost: a\r\nCookie: x=1; SRV=s1; y=2\r\nConnection: keep-alive\r\nX-Drop: 1\r\n\r\n"},
		{"append two", func(e *Editor, r *Request, buf []byte) error {
			if err := e.Append([]byte("X-A: 1\r\n")); err != nil {
				return err
			}
			return e.Append([]byte("x-b:2\r\n"))
		}, "GET /a HTTP/1.1\r\nHost: a\r\nCookie: x=1; SRV=s1; y=2\r\nConnection: keep-alive\r\nX-Drop: 1\r\nX-A: 1\r\nx-b:2\r\n\r\n"},
		{"delete last then append", func(e *Editor, r *Request, buf []byte) error {
			if err := e.Append([]byte("X-A: 1\r\n")); err != nil {
				return err
			}
			return e.DeleteField(3)
		}, "GET /a HTTP/1.1\r\nHost: a\r\nCookie: x=1; SRV=s1; y=2\r\nConnection: keep-alive\r\nX-A: 1\r\n\r\n"},
		{"delete neighbours backwards", func(e *Editor, r *Request, buf []byte) error {
			if err := e.DeleteField(3); err != nil {
				return err
			}
			return e.DeleteField(2)
		}, "GET /a HTTP/1.1\r\nHost: a\r\nCookie: x=1; SRV=s1; y=2\r\n\r\n"},
		{"everything", func(e *Editor, r *Request, buf []byte) error {
			for _, err := range []error{
				e.Append([]byte("X-A: 1\r\n")),
				e.DeleteField(3),
				e.ReplaceValue(0, []byte("b")),
				e.Delete(Span{r.Fields[1].Value.Off, r.Fields[1].Value.Off + 5}),
				e.ReplaceValue(2, []byte("close")),
			} {
				if err != nil {
					return err
				}
			}
			return nil
		}, "GET /a HTTP/1.1\r\nHost: b\r\nCookie: SRV=s1; y=2\r\nConnection: close\r\nX-A: 1\r\n\r\n"},
		{"overlap", func(e *Editor, r *Request, buf []byte) error {
			if err := e.ReplaceValue(1, []byte("z=1")); err != nil {
				return err
			}
			if err := e.DeleteField(1); err != ErrEditOverlap {
				t.Errorf("overlapping delete: %v", err)
			}
			if err := e.Delete(Span{r.Fields[1].Value.Off + 1, r.Fields[1].Value.Off + 2}); err != ErrEditOverlap {
				t.Errorf("nested delete: %v", err)
			}
			return nil
		}, "GET /a HTTP/1.1\r\nHost: a\r\nCookie: z=1\r\nConnection: keep-alive\r\nX-Drop: 1\r\n\r\n"},
		{"bad replacement", func(e *Editor, r *Request, buf []byte) error {
			if err := e.ReplaceValue(1, []byte("a\r\nX: y")); err != ErrEditValue {
				t.Errorf("CRLF in value: %v", err)
			}
			for _, l := range []string{"X: 1", "X: 1\n", ": 1\r\n", "X: 1\r\nY: 2\r\n", "X 1\r\n", "X:\r\n"[:3]} {
				if err := e.Append([]byte(l)); err != ErrEditLine {
					t.Errorf("Append(%q): %v", l, err)
				}
			}
			return nil
		}, editReq},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, r, buf := editorFor(t, editReq)
			if err := tc.edit(e, r, buf); err != nil {
				t.Fatal(err)
			}
			if got := emit(t, e); got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
			// The edited head scans again.
			var again Request
			if _, err := NewScanner(DefaultLimits()).Request([]byte(tc.want), &again); err != nil {
				t.Fatalf("edited head refused: %v", err)
			}
		})
	}
}

func TestEditorLeadingEmptyLines(t *testing.T) {
	e, _, _ := editorFor(t, "\r\n"+editReq)
	if got := emit(t, e); got != editReq {
		t.Fatalf("got %q", got)
	}
}

func TestEditorCapacity(t *testing.T) {
	// Neighbouring deletions merge and take one edit.
	in := "GET / HTTP/1.1\r\nHost: a\r\n"
	for i := 0; i < 99; i++ {
		in += "X: v\r\n"
	}
	in += "\r\n"
	e, r, _ := editorFor(t, in)
	for i := 1; i < len(r.Fields); i++ {
		if err := e.DeleteField(i); err != nil {
			t.Fatalf("delete %d: %v", i, err)
		}
	}
	if got := emit(t, e); got != "GET / HTTP/1.1\r\nHost: a\r\n\r\n" {
		t.Fatalf("got %q", got)
	}
	// Edits that cannot merge run out.
	e.Reset([]byte(in), &r.Header)
	var err error
	for i := 1; i < len(r.Fields) && err == nil; i++ {
		err = e.ReplaceValue(i, []byte("w"))
	}
	if err != ErrTooManyEdits || StatusOf(err) != 500 {
		t.Fatalf("err = %v", err)
	}
	if got := len(e.Segments(nil)); got != 2*MaxEdits+1 {
		t.Fatalf("%d segments", got)
	}
	mustPanic(t, "edit outside the head", func() { e.Delete(Span{0, uint32(len(in) + 1)}) })
}

// TestEditorRewind appends lines after a mark, rewinds and appends others:
// the head has the edits made before the mark and the last lines only.
func TestEditorRewind(t *testing.T) {
	raw := []byte("GET / HTTP/1.1\r\nHost: a\r\nX-Drop: 1\r\n\r\n")
	var r Request
	if _, err := NewScanner(DefaultLimits()).Request(raw, &r); err != nil {
		t.Fatal(err)
	}
	var e Editor
	e.Reset(raw, &r.Header)
	if err := e.DeleteField(1); err != nil {
		t.Fatal(err)
	}
	if err := e.Append([]byte("x-first: 1\r\n")); err != nil {
		t.Fatal(err)
	}
	m := e.Mark()
	for _, server := range []string{"s1", "server-two"} {
		e.Rewind(m)
		if err := e.Append([]byte("x-server: " + server + "\r\n")); err != nil {
			t.Fatal(err)
		}
		if err := e.Append([]byte("connection: close\r\n")); err != nil {
			t.Fatal(err)
		}
		want := "GET / HTTP/1.1\r\nHost: a\r\nx-first: 1\r\nx-server: " + server + "\r\nconnection: close\r\n\r\n"
		if got := string(e.AppendTo(nil)); got != want || e.Len() != len(want) {
			t.Errorf("%q (len %d), want %q", got, e.Len(), want)
		}
	}
}
