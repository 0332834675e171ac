package config

import (
	"errors"
	"math"
	"strconv"
	"time"
)

// timeError says why a time argument was refused; the caller words the
// message, because HAProxy words it differently per keyword.
type timeError struct {
	bad       byte // the unexpected character, when overflow and underflow are false
	overflow  bool // the value does not fit in 2^31-1 units
	underflow bool // a non-null value rounds to zero units
}

func (e *timeError) Error() string {
	switch {
	case e.overflow:
		return "timer overflow"
	case e.underflow:
		return "timer underflow"
	}
	return "unexpected character '" + string(e.bad) + "'"
}

// parseTime reads a decimal number followed by an optional unit (us, ms, s,
// m, h, d) and returns it as a whole number of base units (time.Millisecond
// or time.Second), rounded up as HAProxy does. A number without a unit is in
// base units. Characters after a valid unit are ignored and reported with
// trailing set, which HAProxy 2.6 only warns about. The caller has already
// refused an empty argument.
func parseTime(s string, base time.Duration) (n int64, trailing bool, terr *timeError) {
	i := 0
	var v uint64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		v = v*10 + uint64(s[i]-'0')
		if v > math.MaxInt64/uint64(24*time.Hour) {
			return 0, false, &timeError{overflow: true}
		}
		i++
	}
	if i == 0 {
		return 0, false, &timeError{bad: s[0]}
	}
	unit := base
	switch rest := s[i:]; {
	case rest == "":
	case hasPrefix(rest, "us"):
		unit, i = time.Microsecond, i+2
	case hasPrefix(rest, "ms"):
		unit, i = time.Millisecond, i+2
	case rest[0] == 's':
		unit, i = time.Second, i+1
	case rest[0] == 'm':
		unit, i = time.Minute, i+1
	case rest[0] == 'h':
		unit, i = time.Hour, i+1
	case rest[0] == 'd':
		unit, i = 24*time.Hour, i+1
	default:
		return 0, false, &timeError{bad: rest[0]}
	}
	total := time.Duration(v) * unit
	n = int64((total + base - 1) / base)
	if n > math.MaxInt32 {
		return 0, false, &timeError{overflow: true}
	}
	if v != 0 && n == 0 {
		return 0, false, &timeError{underflow: true}
	}
	return n, i < len(s), nil
}

// ParseSeconds reads a time as HAProxy's runtime API reads `set timeout
// cli`: seconds unless a unit follows, rounded up to whole seconds, text
// after a valid unit ignored (HAProxy 2.6 only warns about it). ok is false
// for a malformed or empty argument, or one over 2^31-1 seconds.
func ParseSeconds(s string) (n int64, ok bool) {
	if s == "" {
		return 0, false
	}
	n, _, err := parseTime(s, time.Second)
	return n, err == nil
}

// errNotNumber is returned by parseSize for an argument that does not start
// with a digit.
var errNotNumber = errors.New("config: not a number")

// parseSize reads a decimal number with an optional k, m or g suffix
// (powers of 1024).
func parseSize(s string) (int64, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, errNotNumber
	}
	v, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, err
	}
	mult := int64(1)
	switch s[i:] {
	case "":
	case "k", "K":
		mult = 1 << 10
	case "m", "M":
		mult = 1 << 20
	case "g", "G":
		mult = 1 << 30
	default:
		return 0, errNotNumber
	}
	if v > math.MaxInt64/mult {
		return 0, errNotNumber
	}
	return v * mult, nil
}

// atoi reads an integer as C's atol does: optional sign, leading digits,
// anything after them ignored, 0 when there are none. HAProxy reads many
// numeric arguments this way, so "x" is 0 and "12ab" is 12.
func atoi(s string) int64 {
	i, neg := 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var v int64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if v < math.MaxInt64/10 {
			v = v*10 + int64(s[i]-'0')
		}
	}
	if neg {
		return -v
	}
	return v
}

// isInteger reports whether s is an optional sign followed by digits only.
func isInteger(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// warnTrailing warns about characters after a valid time unit, naming the
// first of them, as HAProxy 2.6 does before accepting the value.
func (p *parser) warnTrailing(arg string) {
	i := 0
	for i < len(arg) && arg[i] >= '0' && arg[i] <= '9' {
		i++
	}
	if hasPrefix(arg[i:], "us") || hasPrefix(arg[i:], "ms") {
		i++
	}
	i++ // past the unit
	p.warn("unexpected character '" + arg[i:i+1] + "' after the timer value '" + arg + "', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported as an error in next versions.")
}
