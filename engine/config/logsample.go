package config

import (
	"slices"
	"strconv"
	"strings"
)

// LogSample is the `sample <ranges>:<size>` of a `log` line: of every
// Size lines, those whose position (1 to Size) falls in one of Ranges are
// sent.
type LogSample struct {
	Ranges []LogRange // sorted, not overlapping
	Size   int
}

// LogRange is one range of positions of a LogSample, bounds included.
type LogRange struct{ Low, High int }

// Has reports whether position i (1 to Size) is sampled.
func (s *LogSample) Has(i int) bool {
	for _, r := range s.Ranges {
		if r.Low <= i && i <= r.High {
			return true
		}
	}
	return false
}

// parseLogSample parses the argument of `log ... sample` and alerts as
// HAProxy 2.6 does.
func (p *parser) parseLogSample(arg string) (*LogSample, bool) {
	ranges, size, ok := strings.Cut(arg, ":")
	if !ok {
		p.alert("log : Missing sample size")
		return nil, false
	}
	s := &LogSample{}
	for pos := 0; pos <= len(ranges); {
		end := strings.IndexByte(ranges[pos:], ',')
		if end < 0 {
			end = len(ranges)
		} else {
			end += pos
		}
		tok := ranges[pos:end]
		if tok == "" {
			p.alert("log : wrong sample range '" + ranges[pos:] + "'")
			return nil, false
		}
		r, ok := parseLogRange(tok)
		if !ok {
			p.alert("log : wrong sample range '" + tok + "'")
			return nil, false
		}
		s.Ranges = append(s.Ranges, r)
		pos = end + 1
	}
	n, err := strconv.Atoi(size)
	if err != nil || n <= 0 || size[0] == '+' {
		p.alert("log : wrong sample size '" + size + "' for sample range '" + ranges + "'")
		return nil, false
	}
	s.Size = n
	slices.SortFunc(s.Ranges, func(a, b LogRange) int { return a.Low - b.Low })
	for i := 1; i < len(s.Ranges); i++ {
		if s.Ranges[i].Low <= s.Ranges[i-1].High {
			p.alert("log : ranges are overlapping")
			return nil, false
		}
	}
	if high := s.Ranges[len(s.Ranges)-1].High; high > n {
		p.alert("log : sample size " + size + " should be greater or equal to " + strconv.Itoa(high) + " the maximum of the high ranges limits")
		return nil, false
	}
	return s, true
}

// parseLogRange parses "N" or "N-M", 1 <= N <= M.
func parseLogRange(tok string) (LogRange, bool) {
	lo, hi, dash := strings.Cut(tok, "-")
	l, err := strconv.Atoi(lo)
	if err != nil || l < 1 || lo[0] == '+' {
		return LogRange{}, false
	}
	h := l
	if dash {
		if h, err = strconv.Atoi(hi); err != nil || h < l || hi[0] == '+' {
			return LogRange{}, false
		}
	}
	return LogRange{l, h}, true
}
