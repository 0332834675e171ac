package accesslog

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"tether/engine/config"
)

// Longest header and line together, before the final newline, by
// default: HAProxy 2.6 cuts a datagram at the target's length (`log ...
// len`, 1024 by default) and a line to a file descriptor one byte
// shorter.
const (
	maxDatagram = config.DefaultLogLen
	maxStream   = maxDatagram - 1
)

// defaultPort is the syslog port of an address without one.
const defaultPort = "514"

// redialDelay is how long a unix socket target waits before connecting
// again after a failure (the syslog daemon may be restarting).
const redialDelay = time.Second

// target is one open destination of a Logger. Only the Logger's writer
// goroutine uses it after New.
type target struct {
	header
	w        io.Writer // nil while a unix socket target is not connected
	c        io.Closer // nil for stdout and stderr, which the Logger does not own
	max      int       // maxDatagram or maxStream
	maxLevel int       // lines of a less severe (higher) level are not sent
	minLevel int       // lines of a more severe level are sent at this one

	sample *config.LogSample // which lines are sent, or nil for all
	pos    int               // the position of the last line in its sample (1 to sample.Size)

	unix     *net.UnixAddr // the socket of a unix target, which reconnects
	redialAt time.Time     // no connection attempt before then
}

// LineLen returns the size of HAProxy's log line buffer for a
// configuration, which Options.LineLen takes: the longest `len` of its
// `log` lines, and at least config.DefaultLogLen.
func LineLen(cfg *config.Config) int {
	n := config.DefaultLogLen
	longest := func(lines []config.LogTarget) {
		for _, t := range lines {
			n = max(n, t.Len)
		}
	}
	longest(cfg.Global.Logs)
	for _, p := range cfg.Defaults {
		longest(p.Logs)
	}
	for _, p := range cfg.Proxies {
		longest(p.Logs)
	}
	return n
}

// Targets returns the log lines that apply to a proxy: its own, with
// each `log global` replaced by the global section's lines.
func Targets(proxy, global []config.LogTarget) []config.LogTarget {
	var out []config.LogTarget
	for _, t := range proxy {
		if t.Global {
			out = append(out, global...)
		} else {
			out = append(out, t)
		}
	}
	return out
}

// openTarget opens the destination of one `log` line. It returns nil and
// no error for a line whose maximum level filters out every access log
// line: those at "info", and the failed exchanges' at "err" with
// Options.SeparateErrors.
func openTarget(t config.LogTarget, o *Options) (*target, error) {
	line := "log " + t.Address
	format, err := parseFormat(t.Format)
	if err != nil {
		return nil, fmt.Errorf("%w: %q in %q", err, t.Format, line)
	}
	h := header{format: format, tag: o.Tag, pid: strconv.Itoa(o.PID)}
	if h.facility = facilityCode(t.Facility); h.facility < 0 {
		return nil, fmt.Errorf("%w: %q in %q", ErrFacility, t.Facility, line)
	}
	maxLevel, minLevel := len(levelNames)-1, 0
	if t.Level != "" {
		if maxLevel = levelCode(t.Level); maxLevel < 0 {
			return nil, fmt.Errorf("%w: %q in %q", ErrFacility, t.Level, line)
		}
		worst := levelInfo
		if o.SeparateErrors {
			worst = levelErr
		}
		if worst > maxLevel && !o.Events {
			return nil, nil
		}
	}
	if t.MinLevel != "" {
		if minLevel = levelCode(t.MinLevel); minLevel < 0 {
			return nil, fmt.Errorf("%w: %q in %q", ErrFacility, t.MinLevel, line)
		}
	}
	size := maxDatagram
	if t.Len > 0 {
		size = t.Len
	}
	tg := &target{header: h, max: size, maxLevel: maxLevel, minLevel: minLevel, sample: t.Sample}
	addr := t.Address
	switch {
	case addr == "stdout" || addr == "fd@1":
		tg.w, tg.max = o.Stdout, size-1
	case addr == "stderr" || addr == "fd@2":
		tg.w, tg.max = o.Stderr, size-1
	case strings.HasPrefix(addr, "/") || strings.HasPrefix(addr, "unix@"):
		// As HAProxy does, a socket nobody listens on yet is no error:
		// lines are dropped until it can be reached.
		tg.unix = &net.UnixAddr{Name: strings.TrimPrefix(addr, "unix@"), Net: "unixgram"}
		tg.dial(time.Now())
	default:
		hostPort, err := udpAddress(addr)
		if err != nil {
			return nil, fmt.Errorf("%w: %q", err, line)
		}
		ua, err := net.ResolveUDPAddr("udp", hostPort)
		if err != nil {
			return nil, fmt.Errorf("accesslog: %q: %w", line, err)
		}
		c, err := net.DialUDP("udp", nil, ua)
		if err != nil {
			return nil, fmt.Errorf("accesslog: %q: %w", line, err)
		}
		tg.w, tg.c = c, c
	}
	return tg, nil
}

// udpAddress turns a HAProxy UDP log address (optional udp@, udp4@,
// udp6@, ipv4@ or ipv6@ prefix; host; optional port after the last colon,
// or a bracketed IPv6 host) into host:port for the resolver.
func udpAddress(addr string) (string, error) {
	if i := strings.IndexByte(addr, '@'); i >= 0 {
		switch addr[:i] {
		case "udp", "udp4", "udp6", "ipv4", "ipv6":
			addr = addr[i+1:]
		default:
			return "", ErrAddress
		}
	}
	if strings.HasPrefix(addr, "[") {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			if !strings.HasSuffix(addr, "]") {
				return "", ErrAddress
			}
			host, port = addr[1:len(addr)-1], ""
		}
		return joinHostPort(host, port)
	}
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return joinHostPort(addr, "")
	}
	return joinHostPort(addr[:i], addr[i+1:])
}

// joinHostPort checks host (an IP address or a host name) and port and
// joins them, with the default port when port is empty.
func joinHostPort(host, port string) (string, error) {
	if port == "" {
		port = defaultPort
	}
	if n, err := strconv.Atoi(port); host == "" || err != nil || n < 1 || n > 65535 {
		return "", ErrAddress
	}
	name := host // a host name, or the zone (interface) of an IPv6 address
	if ip, err := netip.ParseAddr(host); err == nil {
		name = ip.Zone()
	}
	for i := range len(name) {
		if !hostNameChars[name[i]] {
			return "", ErrAddress
		}
	}
	return net.JoinHostPort(host, port), nil
}

// hostNameChars marks the bytes of host names: letters, digits, '-', '.'
// and '_'.
var hostNameChars = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_'
	}
	return t
}()

// dial connects a unix socket target, at most once per redialDelay.
func (t *target) dial(now time.Time) {
	if now.Before(t.redialAt) {
		return
	}
	c, err := net.DialUnix("unixgram", nil, t.unix)
	if err != nil {
		t.redialAt = now.Add(redialDelay)
		return
	}
	t.w, t.c = c, c
}

// write sends one line of the given level framed for t as sent at now,
// using buf as scratch space, and returns buf for reuse. A line less
// severe than the target's maximum level is not sent, nor, with `log ...
// sample`, a line whose position falls outside the sampled ranges.
func (t *target) write(buf, line []byte, level uint8, now time.Time) ([]byte, error) {
	if int(level) > t.maxLevel {
		return buf, nil
	}
	if t.sample != nil {
		t.pos = t.pos%t.sample.Size + 1
		if !t.sample.Has(t.pos) {
			return buf, nil
		}
	}
	if t.w == nil {
		if t.dial(now); t.w == nil {
			return buf, errNotConnected
		}
	}
	h := t.header
	h.level = max(int(level), t.minLevel)
	buf = h.appendHeader(buf[:0], now)
	if len(buf) > t.max {
		buf = buf[:t.max]
	}
	room := t.max - len(buf)
	if len(line) > room {
		line = line[:room]
	}
	buf = append(buf, line...)
	buf = append(buf, '\n')
	_, err := t.w.Write(buf)
	if err != nil && t.unix != nil { // the daemon went away: reconnect later
		t.c.Close()
		t.w, t.c, t.redialAt = nil, nil, now.Add(redialDelay)
	}
	return buf, err
}

// close closes the destination if the Logger owns it.
func (t *target) close() error {
	if t.c == nil {
		return nil
	}
	return t.c.Close()
}
