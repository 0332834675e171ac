package config

import (
	"testing"
	"time"
)

func TestHTTPReuse(t *testing.T) {
	for arg, want := range map[string]HTTPReuse{"never": ReuseNever, "safe": ReuseSafe, "aggressive": ReuseAggressive, "always": ReuseAlways} {
		if be := backend(t, "    http-reuse "+arg+"\n    server s1 127.0.0.1:1\n"); be.HTTPReuse != want {
			t.Errorf("http-reuse %s: got %d, want %d", arg, be.HTTPReuse, want)
		}
	}
	if be := backend(t, "    server s1 127.0.0.1:1\n"); be.HTTPReuse != ReuseSafe {
		t.Errorf("default http-reuse %d, want safe", be.HTTPReuse)
	}
	c := mustParse(t, header+"defaults d2\n    mode http\n    http-reuse always\nbackend be from d2\n    server s1 127.0.0.1:1\n")
	if got := c.Backend("be").HTTPReuse; got != ReuseAlways {
		t.Errorf("inherited http-reuse %d, want always", got)
	}
}

func TestServerPoolOptions(t *testing.T) {
	be := backend(t, "    server s0 127.0.0.1:1\n"+
		"    default-server pool-max-conn 0 max-reuse 7\n"+
		"    server s1 127.0.0.1:1 pool-max-conn 12 pool-purge-delay 2m pool-low-conn 3 max-reuse 0\n"+
		"    server s2 127.0.0.1:1 pool-low-conn -4 max-reuse x\n")
	type pool struct {
		max   int
		purge time.Duration
		low   int
		reuse int
	}
	want := []pool{{-1, 5 * time.Second, 0, -1}, {12, 2 * time.Minute, 3, 0}, {0, 5 * time.Second, -4, 0}}
	for i, s := range be.Servers {
		if got := (pool{s.PoolMaxConn, s.PoolPurgeDelay, s.PoolLowConn, s.MaxReuse}); got != want[i] {
			t.Errorf("%s: got %+v, want %+v", s.Name, got, want[i])
		}
	}
}

// TestReuseErrors checks the alerts, worded as haproxy -c words them.
func TestReuseErrors(t *testing.T) {
	for _, tt := range []struct{ line, msg string }{
		{"http-reuse", "'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'."},
		{"http-reuse sometimes", "'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'."},
		{"http-reuse always x", "'http-reuse always' cannot handle unexpected argument 'x'."},
		{"server s1 127.0.0.1:1 pool-max-conn", "'pool-max-conn' expects <value> as argument."},
		{"server s1 127.0.0.1:1 pool-max-conn -2", "'pool-max-conn' must be >= -1."},
		{"server s1 127.0.0.1:1 pool-low-conn", "'pool-low-conn' expects <value> as argument."},
		{"server s1 127.0.0.1:1 max-reuse", "'max-reuse' expects <value> as argument."},
		{"server s1 127.0.0.1:1 pool-purge-delay", "'pool-purge-delay' expects <value> as argument."},
		{"server s1 127.0.0.1:1 pool-purge-delay 1x", "unexpected character 'x' in argument to <pool-purge-delay>."},
		{"server s1 127.0.0.1:1 pool-purge-delay -1", "unexpected character '-' in argument to <pool-purge-delay>."},
		{"server s1 127.0.0.1:1 pool-purge-delay 99999999999", "timer overflow in argument '99999999999' to 'pool-purge-delay' (maximum value is 2147483647 ms or ~24.8 days)."},
		{"default-server pool-max-conn -3", "'pool-max-conn' must be >= -1."},
	} {
		text := header + "backend be\n    " + tt.line + "\n"
		expectDiag(t, text, Alert, lineOf(text, tt.line), tt.msg)
	}
}

// TestReuseNotSupported: max-session-srv-conns, which HAProxy knows, is
// refused as not supported (tether keeps HAProxy's default, 5).
func TestReuseNotSupported(t *testing.T) {
	text := header + "frontend fe\n    bind :8080\n    max-session-srv-conns 3\n"
	expectDiag(t, text, Alert, lineOf(text, "max-session-srv-conns 3"), "'max-session-srv-conns' is not supported yet by tether")
}
