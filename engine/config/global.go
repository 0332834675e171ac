package config

import (
	"os/user"
	"strconv"
	"strings"
	"time"
)

const defaultStatsTimeout = 10 * time.Second

// unsupportedGlobal lists global keywords HAProxy 2.6 knows that tether
// does not implement yet. Keywords starting with "tune." or "ssl-" are
// treated the same way.
var unsupportedGlobal = map[string]bool{
	"cpu-map":                        true,
	"expose-experimental-directives": true, "external-check": true,
	"h1-case-adjust": true, "h1-case-adjust-file": true,
	"insecure-fork-wanted": true, "localpeer": true, "log-send-hostname": true,
	"lua-load": true, "lua-prepend-path": true, "master-worker": true, "maxcompcpuusage": true,
	"maxcomprate": true, "maxconnrate": true, "maxpipes": true, "maxsessrate": true,
	"maxsslconn": true, "maxsslrate": true, "maxzlibmem": true, "mworker-max-reloads": true,
	"nogetaddrinfo": true, "noreuseport": true,
	"numa-cpu-mapping": true, "presetenv": true, "resetenv": true,
	"server-state-base": true, "server-state-file": true, "setenv": true,
	"strict-limits": true, "thread-group": true, "unsetenv": true,
	"set-dumpable": true, "unix-bind": true,
	"profiling.tasks": true, "profiling.memory": true, "pp2-never-send-local": true,
	"fd-hard-limit": true, "issuers-chain-path": true, "default-path": true, "nbproc": true,
}

// parseGlobal parses one line of the global section.
func (p *parser) parseGlobal(words []string) {
	g := &p.cfg.Global
	kw := words[0]
	p.kw = kw
	a := args(words[1:])
	switch kw {
	case "stats":
		p.parseGlobalStats(a)
	case "nbthread":
		if len(a) == 0 || !isInteger(a[0]) {
			arg := ""
			if len(a) > 0 {
				arg = a[0]
			}
			p.alert("'nbthread' passed a missing or unparsable integer value in '" + arg + "'")
			return
		}
		n := atoi(a[0])
		if n < 1 || n > 64 {
			p.alert("'nbthread' value must be between 1 and 64 (was " + a[0] + ")")
			return
		}
		g.NbThread = int(n)
	case "maxconn":
		if len(a) == 0 {
			p.alert("'maxconn' expects an integer argument.")
			return
		}
		g.MaxConn = int(atoi(a[0]))
	case "pidfile":
		if len(a) == 0 {
			p.alert("'pidfile' expects a file name as an argument.")
			return
		}
		g.PidFile = a[0]
	case "log":
		if t, ok := p.parseLog(a, false); ok {
			g.Logs = append(g.Logs, t)
		}
	case "log-tag":
		if tag, ok := p.parseLogTag(a); ok && !p.tooMany(kw, a, 1) {
			g.LogTag = tag
		}
	case "tune.bufsize":
		if len(a) == 0 {
			p.alert("'tune.bufsize' expects an integer argument.")
			return
		}
		n, err := parseSize(a[0])
		if err != nil || n <= 0 || n > 1<<30 {
			p.alert("'tune.bufsize' expects a positive integer argument.")
			return
		}
		g.BufSize = int(n)
	case "tune.http.maxhdr":
		n := int64(0)
		if len(a) > 0 {
			n = atoi(a[0])
		}
		if n < 1 || n > 32767 {
			p.alert("'tune.http.maxhdr' expects a numeric value between 1 and 32767")
			return
		}
		g.MaxHdr = int(n)
	case "hard-stop-after":
		if len(a) == 0 {
			p.alert("'hard-stop-after' expects <time> as argument.")
			return
		}
		n, trailing, terr := parseTime(a[0], time.Millisecond)
		if terr != nil {
			p.alert(terr.Error() + " in argument to <hard-stop-after>.")
			return
		}
		if trailing {
			p.warnTrailing(a[0])
		}
		g.HardStopAfter = time.Duration(n) * time.Millisecond
	case "spread-checks":
		switch {
		case p.tooMany(kw, a, 1):
		case g.SpreadChecks != 0:
			p.alertContinue("spread-checks already specified. Continuing.")
		case len(a) == 0:
			p.alert("'spread-checks' expects an integer argument (0..50).")
		default:
			if n := atoi(a[0]); n < 0 || n > 50 {
				p.alert("'spread-checks' needs a positive value in range 0..50.")
			} else {
				g.SpreadChecks = int(n)
			}
		}
	case "max-spread-checks":
		if p.tooMany(kw, a, 1) {
			return
		}
		if len(a) == 0 {
			p.alert("'max-spread-checks' expects an integer argument (0..50).")
			return
		}
		n, trailing, terr := parseTime(a[0], time.Millisecond)
		if terr != nil {
			p.alert(terr.Error() + " in argument to <max-spread-checks>.")
			return
		}
		if trailing {
			p.warnTrailing(a[0])
		}
		g.MaxSpreadChecks = time.Duration(n) * time.Millisecond
	case "ulimit-n":
		switch {
		case len(a) == 0:
			p.alert("'ulimit-n' expects an integer argument.")
		case p.tooMany(kw, a, 1):
		case g.UlimitN != 0:
			p.alertContinue("'ulimit-n' already specified. Continuing.")
		default:
			g.UlimitN = int(max(atoi(a[0]), 0))
		}
	case "user", "uid", "group", "gid":
		p.parseIdentity(kw, a)
	case "chroot":
		switch {
		case len(a) == 0:
			p.alert("'chroot' expects a directory as an argument.")
		case p.tooMany(kw, a, 1):
		case g.Chroot != "":
			p.alertContinue("'chroot' already specified. Continuing.")
		default:
			g.Chroot = a[0]
		}
	case "ca-base", "crt-base":
		// Where `ssl` binds and servers look for certificates: tether
		// refuses those, so the setting is checked and changes nothing.
		switch {
		case len(a) == 0:
			p.alert("global statement '" + kw + "' expects a directory path as an argument.")
		case p.tooMany(kw, a, 1):
		case p.sslBases[kw]:
			p.alert("'" + kw + "' already specified.")
		default:
			p.sslBases[kw] = true
		}
	case "ssl-default-bind-ciphers", "ssl-default-bind-ciphersuites", "ssl-default-server-ciphers", "ssl-default-server-ciphersuites":
		// Defaults of `ssl` binds and servers, which tether refuses: checked,
		// and they change nothing.
		if len(a) == 0 {
			p.alert("global statement '" + kw + "' expects a cipher suite as an argument.")
			return
		}
		p.tooMany(kw, a, 1)
	case "ssl-default-bind-options", "ssl-default-server-options":
		p.parseSSLOptions(kw, a)
	case "daemon":
		g.Daemon = true
		p.warn("tether always runs in the foreground; 'daemon' is accepted and ignored.")
	case "node":
		if len(a) == 0 || !validNodeName(a[0]) {
			p.alert("'node' requires valid node name - non-empty string with digits(0-9), letters(A-Z, a-z), dot(.), hyphen(-) or underscode(_).")
			return
		}
		if p.tooMany("node", a, 1) {
			return
		}
		g.Node = a[0]
	case "description":
		if len(a) == 0 {
			p.alert("'description' expects a string argument.")
			return
		}
		g.Description = strings.Join(a, " ")
	case "quiet":
		g.Quiet = true
	case "zero-warning":
		g.ZeroWarning = true
	case "nosplice":
		// tether never splices: nothing to turn off.
	case "noepoll", "busy-polling":
		p.warn("tether's event loops always wait in epoll; '" + kw + "' is accepted and ignored.")
	default:
		if unsupportedGlobal[kw] || strings.HasPrefix(kw, "tune.") || strings.HasPrefix(kw, "ssl-") {
			p.notSupported("'" + kw + "'")
			return
		}
		p.alert("unknown keyword '" + kw + "' in 'global' section")
	}
}

// parseGlobalStats parses `stats socket` and `stats timeout`.
func (p *parser) parseGlobalStats(a []string) {
	if len(a) == 0 {
		p.alert("'stats' expects 'socket', 'timeout', 'maxconn' or 'bind-process'.")
		return
	}
	p.kw = "stats " + a[0]
	switch a[0] {
	case "socket":
		p.parseStatsSocket(a[1:])
	case "timeout":
		if len(a) < 2 {
			p.alert("'stats timeout' expects a positive delay in milliseconds.")
			return
		}
		n, _, terr := parseTime(a[1], time.Millisecond)
		if terr != nil || n == 0 {
			p.alert("'stats timeout' expects a positive delay in milliseconds.")
			return
		}
		p.cfg.Global.StatsTimeout = time.Duration(n) * time.Millisecond
	case "maxconn", "bind-process":
		p.notSupported("'stats " + a[0] + "'")
	default:
		p.alert("'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '" + a[0] + "').")
	}
}

// parseStatsSocket parses the address and bind options of `stats socket`.
func (p *parser) parseStatsSocket(a []string) {
	if len(a) == 0 {
		p.alert("'stats socket' in global section expects an address or a path to a UNIX socket")
		return
	}
	la, msg := parseListenAddr(a[0], false)
	if msg != "" {
		p.alert(msg)
		return
	}
	s := StatsSocket{ListenAddr: la, Level: LevelOperator, UID: -1, GID: -1, File: p.file, Line: p.line}
	for i := 1; i < len(a); i++ {
		opt := a[i]
		val := ""
		if i+1 < len(a) {
			val = a[i+1]
		}
		switch opt {
		case "level":
			switch val {
			case "user":
				s.Level = LevelUser
			case "operator":
				s.Level = LevelOperator
			case "admin":
				s.Level = LevelAdmin
			default:
				p.alert("'level' only supports 'user', 'operator', and 'admin' (got '" + val + "')")
				return
			}
			i++
		case "mode":
			m, err := strconv.ParseUint(val, 8, 32)
			if val == "" || err != nil || m > 0o7777 {
				p.alert("'mode' : missing or invalid mode '" + val + "' (octal integer expected)")
				return
			}
			s.Mode = modeBits(m)
			i++
		case "user", "uid":
			u, err := lookupUser(opt == "uid", val)
			if err != "" {
				p.alert("'" + opt + "' : " + err)
				return
			}
			s.User, s.UID = val, u
			i++
		case "group", "gid":
			g, err := lookupGroup(opt == "gid", val)
			if err != "" {
				p.alert("'" + opt + "' : " + err)
				return
			}
			s.Group, s.GID = val, g
			i++
		case "expose-fd":
			if val == "" {
				p.alert("'expose-fd' : missing fd type")
				return
			}
			if val != "listeners" {
				p.alert("'expose-fd' : unsupported fd type '" + val + "'")
				return
			}
			s.ExposeFD = true
			i++
		case "process", "thread", "name", "id", "maxconn", "backlog", "accept-proxy", "ssl", "crt", "tfo", "defer-accept", "interface", "nice", "transparent", "v4v6", "v6only", "severity-output":
			p.notSupported("'" + opt + "' on 'stats socket'")
			return
		default:
			p.alert("unknown keyword '" + opt + "'.")
			return
		}
	}
	p.cfg.Global.StatsSockets = append(p.cfg.Global.StatsSockets, s)
	p.statsSocket = true
}

// lookupUser resolves a user name, or a numeric uid when numeric is set.
func lookupUser(numeric bool, name string) (int, string) {
	if name == "" {
		return -1, "missing user name"
	}
	if numeric {
		if !isInteger(name) {
			return -1, "invalid uid '" + name + "'"
		}
		return int(atoi(name)), ""
	}
	u, err := user.Lookup(name)
	if err != nil {
		return -1, "unknown user name '" + name + "'"
	}
	id, _ := strconv.Atoi(u.Uid)
	return id, ""
}

// lookupGroup resolves a group name, or a numeric gid when numeric is set.
func lookupGroup(numeric bool, name string) (int, string) {
	if name == "" {
		return -1, "missing group name"
	}
	if numeric {
		if !isInteger(name) {
			return -1, "invalid gid '" + name + "'"
		}
		return int(atoi(name)), ""
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return -1, "unknown group name '" + name + "'"
	}
	id, _ := strconv.Atoi(g.Gid)
	return id, ""
}

// logFacilities are the syslog facilities `log` accepts.
var logFacilities = map[string]bool{
	"kern": true, "user": true, "mail": true, "daemon": true, "auth": true, "syslog": true,
	"lpr": true, "news": true, "uucp": true, "cron": true, "auth2": true, "ftp": true,
	"ntp": true, "audit": true, "alert": true, "cron2": true, "local0": true, "local1": true,
	"local2": true, "local3": true, "local4": true, "local5": true, "local6": true, "local7": true,
}

// logLevels are the syslog levels `log` accepts.
var logLevels = map[string]bool{
	"emerg": true, "alert": true, "crit": true, "err": true, "warning": true, "notice": true, "info": true, "debug": true,
}

// parseLog parses the arguments of a `log` line. inProxy allows `log global`.
func (p *parser) parseLog(a []string, inProxy bool) (LogTarget, bool) {
	if inProxy && len(a) == 1 && a[0] == "global" {
		return LogTarget{Global: true}, true
	}
	if len(a) < 2 {
		p.alert("log : expects <address> and <facility>  as arguments")
		return LogTarget{}, false
	}
	t := LogTarget{Address: a[0]}
	rest := a[1:]
	// The options come in this order, each at most once, as in HAProxy.
	if len(rest) >= 1 && rest[0] == "len" {
		arg := ""
		if len(rest) >= 2 {
			arg = rest[1]
		}
		n, err := strconv.Atoi(arg)
		if err != nil || n < MinLogLen || n > MaxLogLen {
			p.alert("log : invalid log length '" + arg + "', must be between 80 and 65535")
			return LogTarget{}, false
		}
		t.Len = n
		rest = rest[min(2, len(rest)):]
	}
	if len(rest) >= 2 && rest[0] == "format" {
		t.Format = rest[1]
		rest = rest[2:]
	}
	if len(rest) >= 2 && rest[0] == "sample" {
		s, ok := p.parseLogSample(rest[1])
		if !ok {
			return LogTarget{}, false
		}
		t.Sample = s
		rest = rest[2:]
	}
	if len(rest) == 0 {
		p.alert("log : expects <address> and <facility>  as arguments")
		return LogTarget{}, false
	}
	if !logFacilities[rest[0]] {
		p.alert("log : unknown log facility '" + rest[0] + "'")
		return LogTarget{}, false
	}
	t.Facility = rest[0]
	if len(rest) > 1 {
		if !logLevels[rest[1]] {
			p.alert("log : unknown optional log level '" + rest[1] + "'")
			return LogTarget{}, false
		}
		t.Level = rest[1]
	}
	if len(rest) > 2 {
		if !logLevels[rest[2]] {
			p.alert("log : unknown optional minimum log level '" + rest[2] + "'")
			return LogTarget{}, false
		}
		t.MinLevel = rest[2]
	}
	if len(rest) > 3 {
		p.alert("log : unexpected extra argument '" + rest[3] + "'")
		return LogTarget{}, false
	}
	return t, true
}

// parseIdentity parses `user`, `uid`, `group` and `gid`. As HAProxy does, a
// second user (or group) line is reported and ignored.
func (p *parser) parseIdentity(kw string, a []string) {
	g := &p.cfg.Global
	numeric := kw == "uid" || kw == "gid"
	if numeric && len(a) == 0 {
		p.alert("'" + kw + "' expects an integer argument.")
		return
	}
	if p.tooMany(kw, a, 1) {
		return
	}
	name := ""
	if len(a) > 0 {
		name = a[0]
	}
	user := kw == "user" || kw == "uid"
	if user && g.UID != 0 || !user && g.GID != 0 {
		what := "user/uid"
		if !user {
			what = "group/gid"
		}
		p.alertContinue(what + " already specified. Continuing.")
		return
	}
	var id int
	switch {
	case numeric:
		n, err := strconv.Atoi(name)
		if err != nil {
			noun := "group"
			if user {
				noun = "user"
			}
			p.warn(" " + kw + ": string '" + name + "' is not a number.\n   | You might want to use the '" + noun + "' parameter to use a system " + noun + " name.")
		}
		id = n
	case user:
		u, err := lookupUser(false, name)
		if err != "" {
			p.alert("cannot find user id for '" + name + "' (0:Success)")
			return
		}
		id = u
	default:
		gr, err := lookupGroup(false, name)
		if err != "" {
			p.alert("cannot find group id for '" + name + "' (0:Success)")
			return
		}
		id = gr
	}
	if user {
		g.UID = id
	} else {
		g.GID = id
	}
}

// sslVersions are the versions ssl-min-ver and ssl-max-ver name.
var sslVersions = map[string]bool{"SSLv3": true, "TLSv1.0": true, "TLSv1.1": true, "TLSv1.2": true, "TLSv1.3": true}

// sslOptions are the words of ssl-default-bind-options and
// ssl-default-server-options; true for those followed by a version.
var sslOptions = map[string]bool{
	"ssl-min-ver": true, "ssl-max-ver": true,
	"no-sslv3": false, "no-tlsv10": false, "no-tlsv11": false, "no-tlsv12": false, "no-tlsv13": false,
	"force-sslv3": false, "force-tlsv10": false, "force-tlsv11": false, "force-tlsv12": false, "force-tlsv13": false,
	"no-tls-tickets": false,
}

// parseSSLOptions checks ssl-default-bind-options and
// ssl-default-server-options. They set defaults of `ssl` binds and servers,
// which tether refuses, so they change nothing.
func (p *parser) parseSSLOptions(kw string, a []string) {
	if len(a) == 0 {
		p.alert("global statement '" + kw + "' expects an option as an argument.")
		return
	}
	for i := 0; i < len(a); i++ {
		version, known := sslOptions[a[i]]
		if !known && !(kw == "ssl-default-bind-options" && a[i] == "prefer-client-ciphers") {
			p.alert("unknown option '" + a[i] + "' on global statement '" + kw + "'.")
			return
		}
		if !version {
			continue
		}
		if i+1 >= len(a) {
			p.alert("'" + a[i] + "' : missing the ssl/tls version on global statement '" + kw + "'.")
			return
		}
		if i++; !sslVersions[a[i]] {
			p.alert("'" + a[i] + "' : unknown ssl/tls version on global statement '" + kw + "'.")
			return
		}
	}
}

// validNodeName reports whether s may name the node: letters, digits,
// dots, hyphens and underscores.
func validNodeName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}
