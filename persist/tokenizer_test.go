package persist

import "testing"

func TestScanElement(t *testing.T) {
	for _, tc := range []struct {
		in          string
		prev        int
		first       bool
		comma       bool
		want        Element
		name, value string
	}{
		{"x=1; n = v ;y", 3, false, true, Element{3, 5, 6, 7, 9, 10, 11}, "n", "v"},
		{"x=1; n = v ;y", 0, true, true, Element{0, 0, 1, 1, 2, 3, 3}, "x", "1"},
		{"a b=1", 0, true, true, Element{0, 0, 3, 3, 4, 5, 5}, "a b", "1"},
		{"flag; x=1", 0, true, true, Element{0, 0, 4, 4, 4, 4, 4}, "flag", ""},
		{"a,b=1", 0, true, true, Element{0, 0, 1, 1, 1, 1, 1}, "a", ""},
		{"a,b=1", 0, true, false, Element{0, 0, 3, 3, 4, 5, 5}, "a,b", "1"},
		{`x="a;b"; y=2`, 0, true, true, Element{0, 0, 1, 1, 2, 7, 7}, "x", `"a;b"`},
		{`x="a\";b" ;y`, 0, true, true, Element{0, 0, 1, 1, 2, 9, 10}, "x", `"a\";b"`},
		{`x="open;y=1`, 0, true, true, Element{0, 0, 1, 1, 2, 11, 11}, "x", `"open;y=1`},
		{"SRV=a,b; Path=/", 0, true, false, Element{0, 0, 3, 3, 4, 5, 5}, "SRV", "a"},
		{"x=1;", 3, false, true, Element{3, 4, 4, 4, 4, 4, 4}, "", ""},
		{";SRV=a", 0, true, true, Element{0, 0, 0, 0, 0, 0, 0}, "", ""},
		{"x=", 0, true, true, Element{0, 0, 1, 1, 2, 2, 2}, "x", ""},
		{"x=\t \t", 0, true, true, Element{0, 0, 1, 1, 5, 5, 5}, "x", ""},
	} {
		got := ScanElement([]byte(tc.in), tc.prev, tc.first, tc.comma)
		if got != tc.want {
			t.Errorf("ScanElement(%q, %d) = %+v, want %+v", tc.in, tc.prev, got, tc.want)
			continue
		}
		if n := tc.in[got.Name:got.NameEnd]; n != tc.name {
			t.Errorf("ScanElement(%q, %d) name %q, want %q", tc.in, tc.prev, n, tc.name)
		}
		if v := tc.in[got.Value:got.ValueEnd]; v != tc.value {
			t.Errorf("ScanElement(%q, %d) value %q, want %q", tc.in, tc.prev, v, tc.value)
		}
	}
}

func TestElementBlanks(t *testing.T) {
	for in, want := range map[string]bool{"a=1": false, "a =1": true, "a= 1": true, "a": false, "a b=1": false, "a ": false, "a ;b=1": false} {
		e := ScanElement([]byte(in), 0, true, true)
		if e.Blanks() != want {
			t.Errorf("%q: Blanks() = %v, want %v", in, e.Blanks(), want)
		}
	}
}
