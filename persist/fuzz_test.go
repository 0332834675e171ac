package persist

import (
	"bytes"
	"strings"
	"testing"
)

// checkEdits fails unless edits are sorted, non-overlapping and inside a
// value of length n.
func checkEdits(t *testing.T, n int, edits []Edit) {
	t.Helper()
	pos := 0
	for _, e := range edits {
		if e.Off < pos || e.End < e.Off || e.End > n {
			t.Fatalf("bad edits %+v for a value of %d bytes", edits, n)
		}
		pos = e.End
	}
}

// FuzzTokenizer runs Cookie field values through the request side of
// every mode, checks the edit lists and compares the edited field with the
// in-place model of HAProxy's algorithm.
func FuzzTokenizer(f *testing.F) {
	for _, d := range deletionSpacing {
		for _, c := range d.in {
			f.Add(c)
		}
	}
	for _, s := range []string{"SRV=b~x; x=1", "SRV=b|awIuL|awIuL", `x="a\";b"; SRV=a`} {
		f.Add(s)
	}
	tables := []*Table{
		twoServers(Options{Name: "SRV", Mode: Insert, Indirect: true, MaxIdle: 60, MaxLife: 120}),
		twoServers(Options{Name: "SRV", Mode: Prefix}),
		twoServers(Options{Name: "SRV", Mode: Insert}),
		twoServers(Options{Name: "SRV", Mode: Rewrite}),
	}
	f.Fuzz(func(t *testing.T, value string) {
		// The head scanner hands over values without surrounding blanks.
		value = strings.Trim(value, " \t")
		v := []byte(value)
		for _, tb := range tables {
			rq := tb.Request(now, []byte("GET"), 0, 0)
			edits, act := tb.Cookie(&rq, v, nil)
			checkEdits(t, len(v), edits)
			o := tb.Options()
			want, removed := inPlaceModel(o.Name, o.Mode, o.Indirect, v)
			if (act == Remove) != removed {
				t.Fatalf("%s %q: action %v, model removes %v", o.Mode, value, act, removed)
			}
			if act == Keep {
				if got := Apply(nil, v, edits); !bytes.Equal(got, want) {
					t.Fatalf("%s %q: edited to %q, model %q", o.Mode, value, got, want)
				}
			}
			if s := rq.Status(); s > CookieUnused || (s == CookieValid && rq.Server() < 0) {
				t.Fatalf("%s %q: status %d with server %d", o.Mode, value, s, rq.Server())
			}
		}
	})
}

// FuzzDate checks the date codec: no panic on any input, and decoding
// what was encoded gives the value back.
func FuzzDate(f *testing.F) {
	for _, s := range []string{"awIuL", "AAAAA", "/////", "-----", "aw", "garbage", "\xff\xff\xff\xff\xff"} {
		f.Add([]byte(s), int32(0))
	}
	f.Add([]byte("ZVPxA"), int32(425000000))
	f.Fuzz(func(t *testing.T, b []byte, v int32) {
		d := DecodeDate(b)
		if d >= 0 {
			if len(b) < DateLen || d >= 1<<30 {
				t.Fatalf("DecodeDate(%q) = %d", b, d)
			}
			if e := EncodeDate(d); !bytes.Equal(e[:], b[:DateLen]) {
				t.Fatalf("EncodeDate(DecodeDate(%q)) = %q", b, e[:])
			}
		} else if d != -1 {
			t.Fatalf("DecodeDate(%q) = %d", b, d)
		}
		e := EncodeDate(v)
		if got := DecodeDate(e[:]); got != v&(1<<30-1) {
			t.Fatalf("DecodeDate(EncodeDate(%d)) = %d", v, got)
		}
	})
}

// FuzzSetCookie runs Set-Cookie values through the response side of every
// mode, for direct and balanced requests, and checks the edits.
func FuzzSetCookie(f *testing.F) {
	for _, s := range []string{"SRV=xyz; Path=/", "SRV = xyz ; Path=/", "a=1, SRV=xyz", "SRV", `SRV="a;b"; x`, "SRV=; Max-Age=0", " =x"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	tables := []*Table{
		twoServers(Options{Name: "SRV", Mode: Insert, Indirect: true}),
		twoServers(Options{Name: "SRV", Mode: Prefix, Indirect: true}),
		twoServers(Options{Name: "SRV", Mode: Rewrite}),
		twoServers(Options{Name: "SRV", Mode: Insert, Preserve: true}),
		twoServers(Options{Name: "SRV"}),
	}
	f.Fuzz(func(t *testing.T, value string, direct bool) {
		value = strings.Trim(value, " \t")
		v := []byte(value)
		for _, tb := range tables {
			rq := tb.Request(now, []byte("GET"), 0, 0)
			if direct {
				tb.Cookie(&rq, []byte("SRV=a"), nil)
			} else {
				rq.Balanced(1)
			}
			rs := tb.Response(&rq, 200)
			edits, act := tb.ResponseField(&rq, &rs, []byte("Set-Cookie"), v, nil)
			checkEdits(t, len(v), edits)
			e := ScanElement(v, 0, true, false)
			ours := e.HasValue() && string(v[e.Name:e.NameEnd]) == "SRV"
			if act == Remove && !ours {
				t.Fatalf("%s %q: removed a foreign cookie", tb.Options().Mode, value)
			}
			if act == Keep {
				out := Apply(nil, v, edits)
				if g := ScanElement(out, 0, true, false); g.Blanks() {
					t.Fatalf("%s %q: blanks left around '=' in %q", tb.Options().Mode, value, out)
				}
			}
			in := tb.Insert(&rq, &rs, now)
			if line := in.AppendTo(nil); len(line) > 0 && !bytes.HasPrefix(line, []byte("set-cookie: SRV=")) {
				t.Fatalf("inserted %q", line)
			}
		}
	})
}
