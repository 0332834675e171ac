package config

import (
	"slices"
	"testing"
	"time"
)

// TestStats parses `stats` lines: what they enable, the defaults of the
// uri and the realm, inheritance, and haproxy's messages.
func TestStats(t *testing.T) {
	cfg := mustParse(t, header+`backend be
    stats uri /st
    stats auth a:b
    stats auth c:d
    stats realm My\ Site
    stats refresh 10
    stats hide-version
backend quiet
defaults named
    mode http
    stats enable
backend inherits from named
    stats auth e:f
backend plain from named
`)
	st := cfg.Backend("be").Stats
	if !st.Enabled || st.URI != "/st" || st.Realm != "My Site" || !slices.Equal(st.Auth, []string{"a:b", "c:d"}) || st.Refresh != 10*time.Second {
		t.Errorf("stats %+v", st)
	}
	if cfg.Backend("quiet").Stats.Enabled {
		t.Error("stats without a stats line")
	}
	in, plain := cfg.Backend("inherits").Stats, cfg.Backend("plain").Stats
	if !in.Enabled || in.URI != "/haproxy?stats" || in.Realm != "HAProxy Statistics" || len(in.Auth) != 1 || len(plain.Auth) != 0 {
		t.Errorf("inherited %+v, plain %+v", in, plain)
	}
	tests := []struct{ body, msg string }{
		{"backend b\n    stats\n", "missing keyword in 'stats', expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'."},
		{"backend b\n    stats foo\n", "unknown stats parameter 'foo', expects 'admin',"},
		{"backend b\n    stats uri\n", "'uri' needs an URI prefix."},
		{"backend b\n    stats realm\n", "'realm' needs an realm name."},
		{"backend b\n    stats auth\n", "'auth' needs a user:password account."},
		{"backend b\n    stats refresh x\n", "unexpected character 'x' in argument to stats refresh interval."},
		{"backend b\n    stats admin if TRUE\n", "'stats admin' is not supported yet by tether"},
		{"backend b\n    stats socket /x\n", "unknown stats parameter 'socket'"},
	}
	for _, tt := range tests {
		text := header + tt.body
		expectDiag(t, text, Alert, lastLineOf(text, "stats"), tt.msg)
	}
}
