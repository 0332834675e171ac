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

func TestMaxKeepAliveQueue(t *testing.T) {
	cfg := mustParse(t, header+"defaults d2\n    mode http\n    max-keep-alive-queue 0x10\n"+
		"backend be\nbackend b0\n    max-keep-alive-queue 0\nbackend bn\n    max-keep-alive-queue -1\nbackend bo\n    max-keep-alive-queue 010 x\n")
	for name, want := range map[string]int{"be": 17, "b0": 1, "bn": 0, "bo": 9} {
		if got := cfg.Backend(name).MaxKAQueue; got != want {
			t.Errorf("%s: MaxKAQueue %d, want %d", name, got, want)
		}
	}
	checkDiags(t, []diagCase{
		{"backend be\n    max-keep-alive-queue\n", "max-keep-alive-queue", Alert, "'max-keep-alive-queue' expects expects an integer value (or -1 to disable)"},
		{"backend be\n    max-keep-alive-queue 12x\n", "max-keep-alive-queue", Alert, "'max-keep-alive-queue' : unexpected character 'x' in integer value '12x'"},
		{"backend be\nfrontend f2\n    bind :1\n    max-keep-alive-queue 3\n", "max-keep-alive-queue", Warning, "max-keep-alive-queue will be ignored because frontend 'f2' has no backend capability"},
	})
}

func TestStrtol(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int64
		rest string
	}{
		{"12", 12, ""}, {"-1", -1, ""}, {"0x1f", 31, ""}, {"010", 8, ""}, {"09", 0, "9"},
		{"0x", 0, "x"}, {"12x", 12, "x"}, {"x", 0, "x"}, {" +7", 7, ""}, {"", 0, ""},
	} {
		if n, rest := strtol(tt.s); n != tt.n || rest != tt.rest {
			t.Errorf("strtol(%q) = %d %q, want %d %q", tt.s, n, rest, tt.n, tt.rest)
		}
	}
}

func TestHashBalanceFactor(t *testing.T) {
	cfg := mustParse(t, header+"defaults d2\n    mode http\n    hash-balance-factor 150\n"+
		"backend be\n    balance uri\n    hash-type consistent\nbackend b2\n    hash-balance-factor 0\nbackend b3\n    hash-balance-factor 125x\n    balance source\n"+
		"frontend f2\n    bind :1\n    hash-balance-factor 200\n    default_backend be\n")
	for name, want := range map[string]int{"be": 150, "b2": 0, "b3": 125} {
		if got := cfg.Backend(name).Balance.Factor; got != want {
			t.Errorf("%s: factor %d, want %d", name, got, want)
		}
	}
	checkDiags(t, []diagCase{
		{"backend be\n    hash-balance-factor\n", "hash-balance-factor", Alert, "'hash-balance-factor' expects an integer argument."},
		{"backend be\n    hash-balance-factor 100\n", "hash-balance-factor", Alert, "'hash-balance-factor' must be 0 or greater than 100."},
		{"backend be\nfrontend f2\n    bind :1\n    hash-balance-factor 200\n", "", Warning, ""},
	})
}

// TestHashKeyUnknown: hash-key came after HAProxy 2.6, which does not know
// it.
func TestHashKeyUnknown(t *testing.T) {
	checkDiags(t, []diagCase{
		{"backend be\n    server s1 127.0.0.1:1 hash-key addr\n", "hash-key", Alert, "unknown keyword 'hash-key'."},
	})
}
