package config

import (
	"net/netip"
	"os/user"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestGlobal(t *testing.T) {
	cfg := mustParse(t, `global
    stats socket ipv4@127.0.0.1:9999 level admin
    stats socket ipv6@::1:9998 level user
    stats socket 127.0.0.1:9997
    stats socket /tmp/t.sock mode 660 level operator uid 0 gid 0 expose-fd listeners
    stats socket unix@/tmp/u.sock mode 4755
    stats timeout 30s
    nbthread 4
    maxconn 5000
    pidfile /tmp/t.pid
    log 127.0.0.1:514 local0
    log stdout format raw daemon info notice
    log 127.0.0.1:515 len 2000 format rfc5424 local1
    log 127.0.0.1:516 sample 5,1-2:6 local2
    log-tag edge
    tune.bufsize 32k
    tune.http.maxhdr 200
    daemon
`+header+"backend be\n")
	g := cfg.Global
	want := []StatsSocket{
		{ListenAddr: ListenAddr{Name: "ipv4@127.0.0.1:9999", Network: NetTCP4, Addr: netip.MustParseAddrPort("127.0.0.1:9999")}, Level: LevelAdmin, UID: -1, GID: -1, File: "t.cfg", Line: 2},
		{ListenAddr: ListenAddr{Name: "ipv6@::1:9998", Network: NetTCP6, Addr: netip.MustParseAddrPort("[::1]:9998")}, Level: LevelUser, UID: -1, GID: -1, File: "t.cfg", Line: 3},
		{ListenAddr: ListenAddr{Name: "127.0.0.1:9997", Network: NetTCP4, Addr: netip.MustParseAddrPort("127.0.0.1:9997")}, Level: LevelOperator, UID: -1, GID: -1, File: "t.cfg", Line: 4},
		{ListenAddr: ListenAddr{Name: "/tmp/t.sock", Network: NetUnix, Path: "/tmp/t.sock"}, Mode: 0o660, Level: LevelOperator, User: "0", Group: "0", UID: 0, GID: 0, ExposeFD: true, File: "t.cfg", Line: 5},
		{ListenAddr: ListenAddr{Name: "unix@/tmp/u.sock", Network: NetUnix, Path: "/tmp/u.sock"}, Mode: 0o755 | modeBits(0o4000), Level: LevelOperator, UID: -1, GID: -1, File: "t.cfg", Line: 6},
	}
	if !reflect.DeepEqual(g.StatsSockets, want) {
		t.Errorf("stats sockets\n got %+v\nwant %+v", g.StatsSockets, want)
	}
	if g.StatsTimeout != 30*time.Second || g.NbThread != 4 || g.MaxConn != 5000 || g.PidFile != "/tmp/t.pid" ||
		g.BufSize != 32<<10 || g.MaxHdr != 200 || !g.Daemon || g.LogTag != "edge" {
		t.Errorf("global %+v", g)
	}
	wantLogs := []LogTarget{
		{Address: "127.0.0.1:514", Facility: "local0"},
		{Address: "stdout", Format: "raw", Facility: "daemon", Level: "info", MinLevel: "notice"},
		{Address: "127.0.0.1:515", Len: 2000, Format: "rfc5424", Facility: "local1"},
		{Address: "127.0.0.1:516", Sample: &LogSample{Ranges: []LogRange{{1, 2}, {5, 5}}, Size: 6}, Facility: "local2"},
	}
	if !reflect.DeepEqual(g.Logs, wantLogs) {
		t.Errorf("logs %+v", g.Logs)
	}
	def := mustParse(t, header+"backend be\n").Global
	if def.StatsTimeout != 10*time.Second || def.BufSize != 16384 || def.MaxHdr != 101 || def.NbThread != 0 {
		t.Errorf("defaults %+v", def)
	}
}

func TestStatsSocketUserNames(t *testing.T) {
	u, err := user.Current()
	if err != nil {
		t.Skip("no current user:", err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Skip("no current group:", err)
	}
	cfg := mustParse(t, "global\n    stats socket /tmp/t.sock user "+u.Username+" group "+g.Name+"\n"+header+"backend be\n")
	s := cfg.Global.StatsSockets[0]
	if strconv.Itoa(s.UID) != u.Uid || strconv.Itoa(s.GID) != u.Gid || s.User != u.Username || s.Group != g.Name {
		t.Errorf("socket %+v, want uid %s gid %s", s, u.Uid, u.Gid)
	}
}

func TestGlobalErrors(t *testing.T) {
	tests := []struct {
		line string
		sev  Severity
		msg  string
	}{ // the diagnostic is about the last line
		{"stats socket", Alert, "'stats socket' in global section expects an address or a path to a UNIX socket"},
		{"stats socket ipv4@127.0.0.1:9999 level foo", Alert, "'level' only supports 'user', 'operator', and 'admin' (got 'foo')"},
		{"stats socket 127.0.0.1:0", Alert, "invalid port '0'"},
		{"stats socket 127.0.0.1:9999 foo", Alert, "unknown keyword 'foo'."},
		{"stats socket 127.0.0.1:9999 process 1", Alert, "'process' on 'stats socket' is not supported yet by tether"},
		{"stats socket /tmp/t.sock mode", Alert, "'mode' : missing or invalid mode '' (octal integer expected)"},
		{"stats socket /tmp/t.sock mode 999", Alert, "'mode' : missing or invalid mode '999' (octal integer expected)"},
		{"stats socket /tmp/t.sock user nosuchuser-tether", Alert, "'user' : unknown user name 'nosuchuser-tether'"},
		{"stats socket /tmp/t.sock group nosuchgroup-tether", Alert, "'group' : unknown group name 'nosuchgroup-tether'"},
		{"stats socket /tmp/t.sock expose-fd", Alert, "'expose-fd' : missing fd type"},
		{"stats socket /tmp/t.sock expose-fd all", Alert, "'expose-fd' : unsupported fd type 'all'"},
		{"stats timeout x", Alert, "'stats timeout' expects a positive delay in milliseconds."},
		{"stats foo", Alert, "'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got 'foo')."},
		{"stats", Alert, "'stats' expects 'socket', 'timeout', 'maxconn' or 'bind-process'."},
		{"nbthread 0", Alert, "'nbthread' value must be between 1 and 64 (was 0)"},
		{"nbthread x", Alert, "'nbthread' passed a missing or unparsable integer value in 'x'"},
		{"node", Alert, "'node' requires valid node name"},
		{"node a/b", Alert, "'node' requires valid node name"},
		{"node a b", Alert, "'node' cannot handle unexpected argument 'b'."},
		{"description", Alert, "'description' expects a string argument."},
		{"noepoll", Warning, "'noepoll' is accepted and ignored."},
		{"maxconn", Alert, "'maxconn' expects an integer argument."},
		{"pidfile", Alert, "'pidfile' expects a file name as an argument."},
		{"log", Alert, "log : expects <address> and <facility>  as arguments"},
		{"log 127.0.0.1 foo", Alert, "log : unknown log facility 'foo'"},
		{"log-tag", Alert, "'log-tag' expects a tag for use in syslog."},
		{"log-tag a b", Alert, "'log-tag' cannot handle unexpected argument 'b'."},
		{"log 127.0.0.1 local0 loud", Alert, "log : unknown optional log level 'loud'"},
		{"log 127.0.0.1 len 79 local0", Alert, "log : invalid log length '79', must be between 80 and 65535"},
		{"log 127.0.0.1 len 65536 local0", Alert, "log : invalid log length '65536', must be between 80 and 65535"},
		{"log 127.0.0.1 len local0", Alert, "log : invalid log length 'local0', must be between 80 and 65535"},
		{"log 127.0.0.1 format raw len 80 local0", Alert, "log : unknown log facility 'len'"},
		{"log 127.0.0.1 len 80 sample 1:2 format raw local0", Alert, "log : unknown log facility 'format'"},
		{"log 127.0.0.1 sample abc local0", Alert, "log : Missing sample size"},
		{"log 127.0.0.1 sample 0:3 local0", Alert, "log : wrong sample range '0'"},
		{"log 127.0.0.1 sample 2-1:3 local0", Alert, "log : wrong sample range '2-1'"},
		{"log 127.0.0.1 sample 1-:3 local0", Alert, "log : wrong sample range '1-'"},
		{"log 127.0.0.1 sample 1,,2:3 local0", Alert, "log : wrong sample range ',2'"},
		{"log 127.0.0.1 sample 1:0 local0", Alert, "log : wrong sample size '0' for sample range '1'"},
		{"log 127.0.0.1 sample 1:3x local0", Alert, "log : wrong sample size '3x' for sample range '1'"},
		{"log 127.0.0.1 sample 1-2,2-3:4 local0", Alert, "log : ranges are overlapping"},
		{"log 127.0.0.1 sample 4:3 local0", Alert, "log : sample size 3 should be greater or equal to 4 the maximum of the high ranges limits"},
		{"tune.bufsize", Alert, "'tune.bufsize' expects an integer argument."},
		{"tune.bufsize x", Alert, "'tune.bufsize' expects a positive integer argument."},
		{"tune.http.maxhdr 0", Alert, "'tune.http.maxhdr' expects a numeric value between 1 and 32767"},
		{"tune.http.maxhdr 40000", Alert, "'tune.http.maxhdr' expects a numeric value between 1 and 32767"},
		{"tune.ssl.default-dh-param 2048", Alert, "'tune.ssl.default-dh-param' is not supported yet by tether"},
		{"hard-stop-after", Alert, "'hard-stop-after' expects <time> as argument."},
		{"hard-stop-after x", Alert, "unexpected character 'x' in argument to <hard-stop-after>."},
		{"hard-stop-after 30sx", Warning, "unexpected character 'x' after the timer value '30sx'"},
		{"ulimit-n", Alert, "'ulimit-n' expects an integer argument."},
		{"ulimit-n 5\n    ulimit-n 6", Continued, "'ulimit-n' already specified. Continuing."},
		{"chroot", Alert, "'chroot' expects a directory as an argument."},
		{"chroot /a /b", Alert, "'chroot' cannot handle unexpected argument '/b'."},
		{"chroot /a\n    chroot /b", Continued, "'chroot' already specified. Continuing."},
		{"uid", Alert, "'uid' expects an integer argument."},
		{"uid abc", Warning, "uid: string 'abc' is not a number."},
		{"gid 5 6", Alert, "'gid' cannot handle unexpected argument '6'."},
		{"user nosuchuser-tether", Alert, "cannot find user id for 'nosuchuser-tether' (0:Success)"},
		{"group nosuchgroup-tether", Alert, "cannot find group id for 'nosuchgroup-tether' (0:Success)"},
		{"uid 10\n    user root", Continued, "user/uid already specified. Continuing."},
		{"gid 10\n    gid 11", Continued, "group/gid already specified. Continuing."},
		{"ca-base", Alert, "global statement 'ca-base' expects a directory path as an argument."},
		{"crt-base /a\n    crt-base /b", Alert, "'crt-base' already specified."},
		{"ssl-default-bind-ciphers", Alert, "global statement 'ssl-default-bind-ciphers' expects a cipher suite as an argument."},
		{"ssl-default-server-ciphersuites A B", Alert, "'ssl-default-server-ciphersuites' cannot handle unexpected argument 'B'."},
		{"ssl-default-bind-options", Alert, "global statement 'ssl-default-bind-options' expects an option as an argument."},
		{"ssl-default-bind-options foo", Alert, "unknown option 'foo' on global statement 'ssl-default-bind-options'."},
		{"ssl-default-server-options prefer-client-ciphers", Alert, "unknown option 'prefer-client-ciphers' on global statement 'ssl-default-server-options'."},
		{"ssl-default-server-options ssl-min-ver", Alert, "'ssl-min-ver' : missing the ssl/tls version on global statement 'ssl-default-server-options'."},
		{"ssl-default-bind-options ssl-max-ver TLSv9", Alert, "'TLSv9' : unknown ssl/tls version on global statement 'ssl-default-bind-options'."},
		{"foo", Alert, "unknown keyword 'foo' in 'global' section"},
		{"daemon", Warning, "tether always runs in the foreground; 'daemon' is accepted and ignored."},
	}
	for _, tt := range tests {
		text := "global\n    " + tt.line + "\n" + header + "backend be\n"
		expectDiag(t, text, tt.sev, 2+strings.Count(tt.line, "\n"), tt.msg)
	}
	text := "bind :80\n"
	expectDiag(t, text, Alert, 1, "unknown keyword 'bind' out of section.")
}

func TestGlobalIdentity(t *testing.T) {
	cfg := mustParse(t, "global\n    chroot /var/empty\n    uid 33\n    gid 44\n    ca-base /etc/ssl/certs\n"+
		"    crt-base /etc/ssl/private\n    ssl-default-bind-ciphers ECDHE-RSA-AES128-GCM-SHA256\n"+
		"    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets prefer-client-ciphers\n"+
		"    ssl-default-server-options no-sslv3 ssl-max-ver TLSv1.3\n"+header+"backend be\n")
	if g := mustParse(t, "global\n    hard-stop-after 1m 2\n    ulimit-n 5000\n"+header+"backend be\n").Global; g.HardStopAfter != time.Minute || g.UlimitN != 5000 {
		t.Errorf("hard-stop-after %v, ulimit-n %d", g.HardStopAfter, g.UlimitN)
	}
	if g := cfg.Global; g.Chroot != "/var/empty" || g.UID != 33 || g.GID != 44 {
		t.Errorf("chroot %q uid %d gid %d", g.Chroot, g.UID, g.GID)
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody here")
	}
	cfg = mustParse(t, "global\n    user nobody\n"+header+"backend be\n")
	if strconv.Itoa(cfg.Global.UID) != nobody.Uid || cfg.Global.GID != 0 {
		t.Errorf("user nobody: uid %d gid %d, want uid %s and gid unset", cfg.Global.UID, cfg.Global.GID, nobody.Uid)
	}
}

// TestSpreadChecks reads `spread-checks` and `max-spread-checks` and
// refuses what HAProxy refuses.
func TestSpreadChecks(t *testing.T) {
	cfg, err := Parse(File{Name: "t.cfg", Data: []byte("global\n  spread-checks 5\n  max-spread-checks 2s\n")})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Global.SpreadChecks != 5 || cfg.Global.MaxSpreadChecks != 2*time.Second {
		t.Errorf("spread %d, max %v", cfg.Global.SpreadChecks, cfg.Global.MaxSpreadChecks)
	}
	for text, want := range map[string]string{
		"global\n  spread-checks 60\n":    "'spread-checks' needs a positive value in range 0..50.",
		"global\n  spread-checks\n":       "'spread-checks' expects an integer argument (0..50).",
		"global\n  spread-checks 1 2\n":   "'spread-checks' cannot handle unexpected argument '2'.",
		"global\n  max-spread-checks x\n": "in argument to <max-spread-checks>",
	} {
		_, err := Parse(File{Name: "t.cfg", Data: []byte(text)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}
