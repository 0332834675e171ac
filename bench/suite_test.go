package bench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestRenderConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.cfg")
	env := SuiteEnv{Listen: "127.0.0.1:1", Threads: 2, Origins: []SuiteOrigin{{"s1", "127.0.0.1:2"}, {"s2", "127.0.0.1:3"}}}
	if err := renderConfig(path, HAProxyConfig, env); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	for _, want := range []string{"nbthread 2\n", "bind 127.0.0.1:1\n", "    server s1 127.0.0.1:2\n    server s2 127.0.0.1:3\n"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("config lacks %q:\n%s", want, b)
		}
	}
}

func TestProcCPUCountsWork(t *testing.T) {
	before, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(300 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	after, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d := after - before; d < 100*time.Millisecond {
		t.Errorf("300ms of spinning counted as %v of CPU (x=%d)", d, x)
	}
	if hwm, err := procHWM(os.Getpid()); err != nil || hwm <= 0 {
		t.Errorf("procHWM = %d, %v", hwm, err)
	}
}

func TestParsePerf(t *testing.T) {
	n, err := parsePerf([]byte("123456,,instructions:u,1000,100.00,,\n"))
	if err != nil || n != 123456 {
		t.Errorf("parsePerf = %d, %v", n, err)
	}
	if _, err := parsePerf([]byte("<not supported>,,instructions,0,100.00,,\n")); err != ErrNoCounter {
		t.Errorf("unsupported counter: %v", err)
	}
}

// TestSuiteHAProxy runs the suite's measurement path for real against
// haproxy, the reference proxy.
func TestSuiteHAProxy(t *testing.T) {
	path, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy is not installed; .ci/run installs it")
	}
	s := &Suite{Users: 4, Requests: 3000, Warmup: 300, Cookie: "SRV", Dir: t.TempDir()}
	ms, err := s.Run(context.Background(), []Proxy{HAProxyProxy(path)})
	if err != nil {
		t.Fatal(err)
	}
	m := ms[0]
	if m.Requests != 3000 || m.Errors != 0 || m.Non2xx != 0 {
		t.Fatalf("%d requests, %d errors, %d non-2xx", m.Requests, m.Errors, m.Non2xx)
	}
	if m.Unpinned != 0 {
		t.Errorf("haproxy moved %d requests away from their cookie's server", m.Unpinned)
	}
	if m.MaxRSS <= 0 || m.Instructions != -1 || m.InstructionsPerRequest() != -1 {
		t.Errorf("MaxRSS %d, instructions %d", m.MaxRSS, m.Instructions)
	}
}
