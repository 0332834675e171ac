package config

import (
	"errors"
	"strconv"
	"strings"
)

// Severity tells an alert, which makes the configuration unusable, from a
// warning, which is reported and otherwise ignored.
type Severity uint8

const (
	// Alert is fatal: Load returns an error when any alert was raised.
	Alert Severity = iota
	// Warning is reported; the configuration is still usable.
	Warning
	// Continued is an alert HAProxy reports and goes on from, the
	// configuration still usable ("... already specified. Continuing.").
	Continued
)

// String returns the tag HAProxy prints for the severity.
func (s Severity) String() string {
	if s == Warning {
		return "WARNING"
	}
	return "ALERT"
}

// Diag is one alert or warning, tied to the place in the configuration
// that caused it. Line is 1-based; File, Section and Keyword are empty when
// the diagnostic is not about one line (for example a missing file).
type Diag struct {
	Severity Severity
	File     string
	Line     int
	Section  string // "global", "backend 'web'", "resolvers 'dns'", ...
	Keyword  string // "cookie", "server", "timeout server", ...
	Message  string
}

// String formats the diagnostic in HAProxy's style:
//
//	[ALERT] parsing [site.cfg:12] : 'cookie' in backend 'web': <message>
func (d *Diag) String() string {
	var b strings.Builder
	b.WriteString("[")
	b.WriteString(d.Severity.String())
	b.WriteString("] ")
	if d.File != "" {
		b.WriteString("parsing [")
		b.WriteString(d.File)
		if d.Line > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(d.Line))
		}
		b.WriteString("] : ")
	}
	switch {
	case d.Keyword != "" && d.Section != "":
		b.WriteString("'" + d.Keyword + "' in " + d.Section + ": ")
	case d.Keyword != "":
		b.WriteString("'" + d.Keyword + "': ")
	case d.Section != "":
		b.WriteString(d.Section + ": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// ErrInvalid is wrapped by the error Load returns when the configuration
// raised at least one alert.
var ErrInvalid = errors.New("config: configuration has errors")

// Error carries every alert of a failed load (and the warnings raised before
// it). errors.Is(err, ErrInvalid) holds for it.
type Error struct {
	Diags []Diag // alerts and warnings in the order they were raised
}

// Error returns the first alert, and how many more there are.
func (e *Error) Error() string {
	n := 0
	first := ""
	for i := range e.Diags {
		if e.Diags[i].Severity == Alert {
			if n == 0 {
				first = e.Diags[i].String()
			}
			n++
		}
	}
	if n > 1 {
		return "config: " + first + " (and " + strconv.Itoa(n-1) + " more alerts)"
	}
	return "config: " + first
}

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }
