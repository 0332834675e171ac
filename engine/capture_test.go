package engine

import (
	"testing"

	"tether/engine/config"
)

func TestCookieCapture(t *testing.T) {
	tests := []struct {
		name    string
		capture config.CaptureCookie
		request bool
		fields  []string
		want    string // "" for nothing captured
	}{
		{"first match", config.CaptureCookie{Name: "SID", Len: 32}, true, []string{"a=1; SID=abc; SID=def"}, "SID=abc"},
		{"prefix of the name", config.CaptureCookie{Name: "S", Len: 32}, true, []string{"a=1; SRV=x"}, "SRV=x"},
		{"prefix into the value", config.CaptureCookie{Name: "SID=a", Len: 32}, true, []string{"SID=xyz; SID=abc"}, "SID=abc"},
		{"cut at len", config.CaptureCookie{Name: "SID", Len: 6}, true, []string{"SID=abcdef"}, "SID=ab"},
		{"blanks around = left out", config.CaptureCookie{Name: "SID", Len: 32}, true, []string{"SID = v1 ; x=2"}, "SID=v1"},
		{"comma separates in requests", config.CaptureCookie{Name: "SID", Len: 32}, true, []string{"a=1, SID=q"}, "SID=q"},
		{"second field", config.CaptureCookie{Name: "SID", Len: 32}, true, []string{"a=1", "SID=2"}, "SID=2"},
		{"first field wins", config.CaptureCookie{Name: "SID", Len: 32}, true, []string{"SID=1", "SID=2"}, "SID=1"},
		{"name without value", config.CaptureCookie{Name: "fl", Len: 32}, true, []string{"flag; x=1"}, "flag"},
		{"$ attribute skipped", config.CaptureCookie{Name: "$", Len: 32}, true, []string{"$Version=1; a=2"}, ""},
		{"no match", config.CaptureCookie{Name: "SID", Len: 32}, true, []string{"a=1; b=2"}, ""},
		{"unset", config.CaptureCookie{}, true, []string{"SID=1"}, ""},
		{"set-cookie: first cookie only", config.CaptureCookie{Name: "SID", Len: 32}, false, []string{"a=1; SID=2", "SID=3; path=/"}, "SID=3"},
		{"set-cookie: a comma ends the value, as in HAProxy", config.CaptureCookie{Name: "SID", Len: 32}, false, []string{"SID=a,b; path=/"}, "SID=a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c cookieCapture
			for _, f := range tt.fields {
				c.field([]byte(f), &tt.capture, tt.request)
			}
			if got := string(c.bytes()); got != tt.want || (tt.want == "") != (c.bytes() == nil) {
				t.Errorf("captured %q (nil %v), want %q", got, c.bytes() == nil, tt.want)
			}
			c.reset()
			if c.bytes() != nil {
				t.Error("reset kept the capture")
			}
		})
	}
}

func TestCookieCaptureAllocs(t *testing.T) {
	cc := config.CaptureCookie{Name: "SID", Len: 32}
	v := []byte("a=1; b=2; SID = abcdef; c=3")
	var c cookieCapture
	if n := testing.AllocsPerRun(100, func() {
		c.reset()
		c.field(v, &cc, true)
	}); n != 0 {
		t.Errorf("%v allocations per capture", n)
	}
}
