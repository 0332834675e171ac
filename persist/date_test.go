package persist

import "testing"

func TestEncodeDate(t *testing.T) {
	for _, tc := range []struct {
		now  int64
		want string
	}{
		{1700000000, "ZVPxA"},
		{1700000001, "ZVPxB"},
		{1700000004, "ZVPxB"},
		{1795305003, "awIuL"}, // observed
	} {
		d := EncodeDate(DateStamp(tc.now))
		if got := string(d[:]); got != tc.want {
			t.Errorf("EncodeDate(DateStamp(%d)) = %q, want %q", tc.now, got, tc.want)
		}
	}
	if d := EncodeDate(-1); string(d[:]) != "/////" {
		t.Errorf("EncodeDate(-1) = %q, want the low 30 bits", d[:])
	}
}

func TestDecodeDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int32
	}{
		{"AAAAA", 0},
		{"/////", 1<<30 - 1},
		{"ZVPxA", 425000000},
		{"awIuL", 448826251},
		{"awIuLextra", 448826251},
		{"-----", -1},
		{".....", -1},
		{"awIu=", -1},
		{"awIu|", -1},
		{"awI_L", -1},
		{"awIu", -1},
		{"", -1},
		{"aw\xffuL", -1},
	} {
		if got := DecodeDate([]byte(tc.in)); got != tc.want {
			t.Errorf("DecodeDate(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestDateSecondsWrap(t *testing.T) {
	// HAProxy shifts the decoded value into an int: the top values wrap
	// negative, which the expiry checks then see as far in the past.
	if got := dateSeconds(1<<30 - 1); got != -4 {
		t.Errorf("dateSeconds(2^30-1) = %d, want -4", got)
	}
	if got := dateSeconds(DecodeDate([]byte("awIuL"))); got != 1795305004 {
		t.Errorf("dateSeconds(awIuL) = %d, want 1795305004", got)
	}
}

func TestDateRoundTrip(t *testing.T) {
	for v := int32(0); v < 1<<30; v += 7919 * 13 {
		d := EncodeDate(v)
		if got := DecodeDate(d[:]); got != v {
			t.Fatalf("DecodeDate(EncodeDate(%d)) = %d", v, got)
		}
	}
}
