package runtime

import (
	"math"
	"strings"
)

// findBackend returns the backend named name, or with id N when name is
// "#N", or nil.
func findBackend(backends []BackendView, name string) *BackendView {
	if id, ok := strings.CutPrefix(name, "#"); ok {
		n := atoi(id)
		for i := range backends {
			if backends[i].ID == n {
				return &backends[i]
			}
		}
		return nil
	}
	for i := range backends {
		if backends[i].Name == name {
			return &backends[i]
		}
	}
	return nil
}

// findServer returns the server of b named name, or with id N when name is
// "#N", or nil.
func findServer(b *BackendView, name string) *ServerView {
	if id, ok := strings.CutPrefix(name, "#"); ok {
		n := atoi(id)
		for i := range b.Servers {
			if b.Servers[i].ID == n {
				return &b.Servers[i]
			}
		}
		return nil
	}
	for i := range b.Servers {
		if b.Servers[i].Name == name {
			return &b.Servers[i]
		}
	}
	return nil
}

// atoi converts as C's atoi does: leading white space, an optional sign,
// then digits up to the first other byte; 0 when there are none.
func atoi(s string) int {
	v, _, _ := strtol(s)
	return int(v)
}

// strtol converts as C's strtol in base 10 does. It returns the value
// (clamped to the int64 range on overflow, reported by overflow), and the
// unconverted rest, which is s itself when no digit was found.
func strtol(s string) (v int64, rest string, overflow bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	start := i
	var u uint64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if u > (limit-d)/10 {
			overflow = true
			continue
		}
		u = u*10 + d
	}
	switch {
	case i == start:
		return 0, s, false
	case overflow && neg:
		return math.MinInt64, s[i:], true
	case overflow:
		return math.MaxInt64, s[i:], true
	case neg:
		return -int64(u), s[i:], false
	}
	return int64(u), s[i:], false
}
