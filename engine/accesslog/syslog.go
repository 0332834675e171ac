package accesslog

import (
	"strconv"
	"time"
)

// logFormat is the framing of a `log` target (`log ... format <name>`).
type logFormat uint8

const (
	formatLocal    logFormat = iota // "local", the default: "<PRI>Mmm dd hh:mm:ss tag[pid]: " (rfc3164 without host)
	formatRFC3164                   // "rfc3164": "<PRI>Mmm dd hh:mm:ss host tag[pid]: "
	formatRFC5424                   // "rfc5424": "<PRI>1 iso-date host tag pid - - "
	formatPriority                  // "priority": "<PRI>"
	formatShort                     // "short": "<level>"
	formatTimed                     // "timed": "<level>iso-date "
	formatISO                       // "iso": "iso-date "
	formatRaw                       // "raw": the line alone
)

// formatNames are the configuration names of the logFormat values, in order.
var formatNames = [...]string{"local", "rfc3164", "rfc5424", "priority", "short", "timed", "iso", "raw"}

// parseFormat returns the logFormat named by a `format` argument; "" is the
// default, formatLocal.
func parseFormat(name string) (logFormat, error) {
	if name == "" {
		return formatLocal, nil
	}
	for i, n := range formatNames {
		if n == name {
			return logFormat(i), nil
		}
	}
	return 0, ErrFormat
}

// String returns the configuration name of f.
func (f logFormat) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "logFormat(" + strconv.Itoa(int(f)) + ")"
}

// facilityNames are the syslog facilities, in the order of their codes.
var facilityNames = [...]string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "auth2", "ftp", "ntp", "audit", "alert", "cron2",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// levelNames are the syslog levels, in the order of their codes.
var levelNames = [...]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// Level is a syslog severity, from LevelEmerg (0, the most severe) to
// LevelDebug (7).
type Level uint8

const (
	LevelEmerg   Level = 0
	LevelAlert   Level = 1
	LevelWarning Level = 4
	LevelNotice  Level = 5
	LevelInfo    Level = 6
	LevelDebug   Level = 7
)

// levelInfo is the level of access logs; levelErr that of the failed
// exchanges' lines under `option log-separate-errors`.
const (
	levelInfo = 6
	levelErr  = 3
)

// facilityCode returns the code of a facility name, or -1.
func facilityCode(name string) int {
	for i, n := range facilityNames {
		if n == name {
			return i
		}
	}
	return -1
}

// levelCode returns the code of a level name, or -1.
func levelCode(name string) int {
	for i, n := range levelNames {
		if n == name {
			return i
		}
	}
	return -1
}

// header holds what a syslog header needs besides the time; it is fixed
// for a target.
type header struct {
	format   logFormat
	facility int    // syslog facility code
	level    int    // the line's level, after the target's minimum level is applied
	tag      string // program name
	pid      string // process id in decimal
}

// rfc3164Date and isoDate are the date layouts of syslog headers: the
// month and the space-padded day, and RFC 3339 with microseconds and the
// numeric zone.
const (
	rfc3164Date = "Jan _2 15:04:05"
	isoDate     = "2006-01-02T15:04:05.000000-07:00"
)

// hostRFC3164 and hostRFC5424 are the host fields HAProxy 2.6 sends
// when `log-send-hostname` is not set (tether does not support it).
const (
	hostRFC3164 = "localhost"
	hostRFC5424 = "-"
)

// appendHeader appends the syslog header of h for a line sent at now.
func (h *header) appendHeader(dst []byte, now time.Time) []byte {
	switch h.format {
	case formatLocal, formatRFC3164:
		dst = h.appendPRI(dst)
		dst = now.Local().AppendFormat(dst, rfc3164Date)
		dst = append(dst, ' ')
		if h.format == formatRFC3164 {
			dst = append(dst, hostRFC3164...)
			dst = append(dst, ' ')
		}
		dst = append(dst, h.tag...)
		dst = append(dst, '[')
		dst = append(dst, h.pid...)
		return append(dst, ']', ':', ' ')
	case formatRFC5424:
		dst = h.appendPRI(dst)
		dst = append(dst, '1', ' ')
		dst = now.Local().AppendFormat(dst, isoDate)
		dst = append(dst, ' ')
		dst = append(dst, hostRFC5424...)
		dst = append(dst, ' ')
		dst = append(dst, h.tag...)
		dst = append(dst, ' ')
		dst = append(dst, h.pid...)
		return append(dst, " - - "...)
	case formatPriority:
		return h.appendPRI(dst)
	case formatShort:
		return append(dst, '<', byte('0'+h.level), '>')
	case formatTimed:
		dst = append(dst, '<', byte('0'+h.level), '>')
		dst = now.Local().AppendFormat(dst, isoDate)
		return append(dst, ' ')
	case formatISO:
		dst = now.Local().AppendFormat(dst, isoDate)
		return append(dst, ' ')
	}
	return dst
}

// appendPRI appends "<PRI>", the facility and level in one number.
func (h *header) appendPRI(dst []byte) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(h.facility*8+h.level), 10)
	return append(dst, '>')
}
