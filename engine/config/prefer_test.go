package config

import "testing"

func TestPreferLastServer(t *testing.T) {
	cfg := mustParse(t, header+"defaults d2\n    mode http\n    option prefer-last-server\n"+
		"backend be\nbackend off\n    no option prefer-last-server\n")
	if !cfg.Backend("be").Options.PreferLast {
		t.Error("option prefer-last-server not inherited from defaults")
	}
	if cfg.Backend("off").Options.PreferLast {
		t.Error("no option prefer-last-server kept the option")
	}
	checkDiags(t, []diagCase{
		{"backend be\nfrontend f2\n    bind :1\n    option prefer-last-server\n", "option prefer-last-server", Warning, "'prefer-last-server' ignored because frontend 'f2' has no backend capability."},
		{"backend be\n    option prefer-last-server x\n", "option prefer-last-server", Alert, "'option prefer-last-server' cannot handle unexpected argument 'x'."},
	})
}

func TestBalanceURIPathOnly(t *testing.T) {
	cfg := mustParse(t, header+"backend be\n    balance uri path-only depth 2 whole\n")
	b := cfg.Backend("be").Balance
	if b.Algo != URI || !b.PathOnly || b.Depth != 2 || !b.Whole {
		t.Errorf("balance %+v", b)
	}
}
