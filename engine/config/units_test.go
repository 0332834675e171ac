package config

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in       string
		base     time.Duration
		want     int64
		trailing bool
	}{
		{"0", time.Millisecond, 0, false},
		{"100", time.Millisecond, 100, false},
		{"100", time.Second, 100, false},
		{"1us", time.Millisecond, 1, false},
		{"1000us", time.Millisecond, 1, false},
		{"1001us", time.Millisecond, 2, false},
		{"5ms", time.Millisecond, 5, false},
		{"1ms", time.Second, 1, false},
		{"1500ms", time.Second, 2, false},
		{"2s", time.Millisecond, 2000, false},
		{"3m", time.Second, 180, false},
		{"1h", time.Millisecond, 3600000, false},
		{"1d", time.Second, 86400, false},
		{"24d", time.Millisecond, 2073600000, false},
		{"1sx", time.Second, 1, true},
		{"10msabc", time.Millisecond, 10, true},
	}
	for _, tt := range tests {
		n, trailing, err := parseTime(tt.in, tt.base)
		if err != nil || n != tt.want || trailing != tt.trailing {
			t.Errorf("parseTime(%q, %v) = %d %v %v, want %d %v", tt.in, tt.base, n, trailing, err, tt.want, tt.trailing)
		}
	}
	bad := []struct {
		in       string
		base     time.Duration
		ch       byte
		overflow bool
	}{
		{"x", time.Millisecond, 'x', false},
		{"-1", time.Millisecond, '-', false},
		{"1.5s", time.Millisecond, '.', false},
		{"10q", time.Millisecond, 'q', false},
		{"25d", time.Millisecond, 0, true},
		{"2147483648", time.Second, 0, true},
		{"99999999999999999999", time.Second, 0, true},
	}
	for _, tt := range bad {
		_, _, err := parseTime(tt.in, tt.base)
		if err == nil || err.bad != tt.ch || err.overflow != tt.overflow {
			t.Errorf("parseTime(%q) error %+v, want bad %q overflow %v", tt.in, err, tt.ch, tt.overflow)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "16384": 16384, "16k": 16 << 10, "2m": 2 << 20, "1g": 1 << 30, "1K": 1 << 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "k", "16kb", "1t", "-1", "99999999999999999999g"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestAtoi(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "x": 0, "12": 12, "12ab": 12, "-3": -3, "+4": 4, "-": 0} {
		if got := atoi(in); got != want {
			t.Errorf("atoi(%q) = %d, want %d", in, got, want)
		}
	}
}
