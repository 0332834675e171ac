package persist

// The cookie dates of maxidle and maxlife are UNIX times in 4-second units,
// written as five characters of the standard base64 alphabet, most
// significant six bits first, without padding. HAProxy keeps the decoded
// dates in 32-bit signed integers; this file does the same so that the
// overflow behaviour of far-future values is reproduced.

// dateAlphabet is the standard base64 alphabet used by the date codec.
const dateAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// dateDigit maps a byte to its 6-bit value, or -1 for a byte outside the
// alphabet (including the padding '=').
var dateDigit = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(dateAlphabet); i++ {
		t[dateAlphabet[i]] = int8(i)
	}
	return t
}()

// DateLen is the length of one encoded date.
const DateLen = 5

// EncodeDate writes the low 30 bits of v as five base64 characters.
func EncodeDate(v int32) [DateLen]byte {
	var b [DateLen]byte
	for i := range b {
		b[i] = dateAlphabet[(v>>(24-6*i))&0x3f]
	}
	return b
}

// DecodeDate reads the first five bytes of b as a 30-bit value. It returns
// -1 when b is shorter than five bytes or holds a byte outside the alphabet.
func DecodeDate(b []byte) int32 {
	if len(b) < DateLen {
		return -1
	}
	var v int32
	for _, c := range b[:DateLen] {
		d := dateDigit[c]
		if d < 0 {
			return -1
		}
		v = v<<6 | int32(d)
	}
	return v
}

// DateStamp is the encoded unit for the wall-clock second now: now rounded
// up to the next multiple of 4 seconds, divided by 4, truncated to 32 bits
// as HAProxy passes it to the encoder.
func DateStamp(now int64) int32 { return int32((now + 3) >> 2) }

// dateSeconds turns a decoded unit into seconds with 32-bit wrap-around, as
// HAProxy's `val << 2` on an int.
func dateSeconds(v int32) int32 { return int32(uint32(v) << 2) }
