package engine

import (
	"strings"
	"testing"
	"time"
)

// TestHTTPZeroAllocVars: keep-alive requests that set, read, test and log
// variables and a unique ID allocate nothing once the exchange's store has
// its room.
func TestHTTPZeroAllocVars(t *testing.T) {
	cfg, _ := withHTTPLog(t, strings.Replace(keepAliveConfig(t), "global\n  nbthread 1\n", "", 1))
	cfg = strings.Replace(cfg, "  default_backend be\n", "  default_backend be\n"+
		"  unique-id-format %{+X}o%ci:%cp_%fi:%fp_%Ts_%rt:%pid\n"+
		"  unique-id-header X-ID\n"+
		"  log-format \"%ci %[var(txn.h)] %{+Q}[var(req.p),upper] %ID %ST\"\n"+
		"  http-request set-var(txn.h) req.hdr(host),lower\n"+
		"  http-request set-var(req.p) path\n"+
		"  http-request set-var-fmt(txn.f) %[var(txn.h)]:%[src]\n"+
		"  http-request unset-var(txn.f) if { var(req.p) -m beg /none }\n"+
		"  http-request set-header X-F %[var(txn.f)]-%[unique-id]\n"+
		"  http-response set-var(res.s) str(s)\n"+
		"  http-response set-header X-S %[var(res.s)] if { var(txn.h) -m str x }\n", 1)
	if httpRace {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	_, addr := startEngineTick(t, "global\n  nbthread 1\n"+cfg, 100*time.Millisecond)
	req := []byte("GET /x HTTP/1.1\r\nHost: X\r\nCookie: a=1; SRV=a; b=2\r\n\r\n")
	resp := allocsPerRequest(t, addr, req, len(keepAliveResp)+len("x-s: s\r\n"))
	if !strings.Contains(string(resp), "x-s: s\r\n") {
		t.Errorf("response %q", resp)
	}
}
