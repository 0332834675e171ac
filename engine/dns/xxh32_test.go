package dns

import "testing"

// TestXXH32 checks the hash against the reference implementation's
// published values.
func TestXXH32(t *testing.T) {
	for _, c := range []struct {
		in   string
		seed uint32
		want uint32
	}{
		{"", 0, 0x02cc5d05},
		{"a", 0, 0x550d7456},
		{"abc", 0, 0x32d153ff},
		{"Nobody inspects the spammish repetition", 0, 0xe2293b2f},
		{"", 1, 0x0b2cb792},
	} {
		if got := xxh32([]byte(c.in), c.seed); got != c.want {
			t.Errorf("xxh32(%q, %d) = %#x, want %#x", c.in, c.seed, got, c.want)
		}
	}
}
