package h1

// Byte classes. Each table has 256 entries so a lookup never needs a bounds
// check and never branches on ranges.
var (
	// isTchar marks token characters (RFC 9110 5.6.2): field names, methods,
	// transfer codings and connection options.
	isTchar [256]bool

	// tchar is 1 for the bytes isTchar marks, so that several lookups
	// combine with & into one branch.
	tchar [256]uint8

	// isFieldValue marks bytes allowed inside a field value or a reason
	// phrase: VCHAR, SP, HTAB and obs-text. CR, LF, NUL, DEL and the other
	// control bytes are not.
	isFieldValue [256]bool

	// isTarget marks bytes allowed in a request target: VCHAR only.
	isTarget [256]bool

	// isHostChar marks bytes allowed in a Host value or an authority:
	// unreserved, pct-encoded, sub-delims, ":" and the IP-literal brackets.
	isHostChar [256]bool

	// valueStop is 1 for the bytes valueStops detects, 0 for the others.
	valueStop [256]uint8

	// lower maps ASCII upper-case letters to lower case and every other byte
	// to itself.
	lower [256]byte

	// hexVal holds the value of a hexadecimal digit, or 0xff.
	hexVal [256]byte
)

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		isFieldValue[c] = b == '\t' || (b >= ' ' && b != 0x7f)
		isTarget[c] = b > ' ' && b < 0x7f
		if b < ' ' || b == 0x7f {
			valueStop[c] = 1
		}
		lower[c] = b
		if b >= 'A' && b <= 'Z' {
			lower[c] = b + 'a' - 'A'
		}
		alnum := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
		isTchar[c] = alnum
		isHostChar[c] = alnum
		hexVal[c] = 0xff
		switch {
		case b >= '0' && b <= '9':
			hexVal[c] = b - '0'
		case b >= 'a' && b <= 'f':
			hexVal[c] = b - 'a' + 10
		case b >= 'A' && b <= 'F':
			hexVal[c] = b - 'A' + 10
		}
	}
	for _, b := range []byte("!#$%&'*+-.^_`|~") {
		isTchar[b] = true
	}
	for c, t := range isTchar {
		if t {
			tchar[c] = 1
		}
	}
	for _, b := range []byte("-._~%!$&'()*+,;=:[]") {
		isHostChar[b] = true
	}
}

// SWAR helpers look at eight bytes at once; the scanner uses them to skip
// long runs of plain value and target bytes.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// valueStops returns a mask that is not zero when x holds a byte that ends
// or breaks a field value run: any byte below 0x20 (including HTAB, which
// the byte loop then accepts) or DEL.
func valueStops(x uint64) uint64 {
	d := x ^ (0x7f * ones)
	return ((x-0x20*ones)&^x | (d-ones)&^d) & highs
}

// hasTargetStop reports whether x holds a byte that is not a VCHAR: SP, a
// control byte, DEL or a byte with the high bit set.
func hasTargetStop(x uint64) bool {
	d := x ^ (0x7f * ones)
	return ((x-0x21*ones)|(d-ones)&^d|x)&highs != 0
}
