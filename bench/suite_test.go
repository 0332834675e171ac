package bench

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
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

// TestProcCPUCountsWork spins until the process CPU clock has counted 300ms,
// and checks the tick-sampled times agree.
func TestProcCPUCountsWork(t *testing.T) {
	pid := os.Getpid()
	before, err := procCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	user0, sys0, err := procTimes(pid)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	x := 0
	for {
		x++
		now, err := procCPU(pid)
		if err != nil {
			t.Fatal(err)
		}
		if now-before >= 300*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("20s of spinning counted as %v of CPU", now-before)
		}
	}
	// 300ms of CPU is about 30 ticks of 10ms; sampling may miss a few.
	user1, sys1, err := procTimes(pid)
	if err != nil || user1-user0+sys1-sys0 < 15 {
		t.Errorf("300ms of CPU (%d loops) sampled as %d user and %d system ticks, %v",
			x, user1-user0, sys1-sys0, err)
	}
	if hwm, err := procHWM(pid); err != nil || hwm <= 0 {
		t.Errorf("procHWM = %d, %v", hwm, err)
	}
}

func TestIcountOnlyInItsGuest(t *testing.T) {
	if icountGuest() {
		t.Skip("running inside bench/icount/run.sh's guest")
	}
	s := &Suite{Instructions: "icount", Dir: t.TempDir()}
	if _, err := s.Run(context.Background(), nil); err != ErrNoCounter {
		t.Errorf("icount outside its guest: %v, want ErrNoCounter", err)
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

// TestSuiteNginxCaddy runs the suite's measurement path for real against
// nginx (a master and two workers: the CPU time of the workers must be
// counted) and Caddy, where installed.
func TestSuiteNginxCaddy(t *testing.T) {
	for _, tc := range []struct {
		bin   string
		proxy func(string) Proxy
	}{{"nginx", NginxProxy}, {"caddy", CaddyProxy}} {
		t.Run(tc.bin, func(t *testing.T) {
			path, err := exec.LookPath(tc.bin)
			if err != nil {
				t.Skipf("%s is not installed; .ci/run installs it", tc.bin)
			}
			s := &Suite{Users: 4, Requests: 3000, Warmup: 300, Threads: 2, Cookie: "SRV", Dir: t.TempDir()}
			ms, err := s.Run(context.Background(), []Proxy{tc.proxy(path)})
			if err != nil {
				t.Fatal(err)
			}
			m := ms[0]
			if m.Requests != 3000 || m.Errors != 0 || m.Non2xx != 0 {
				t.Fatalf("%d requests, %d errors, %d non-2xx", m.Requests, m.Errors, m.Non2xx)
			}
			// A proxied request costs well over a microsecond of CPU; a
			// count that missed the processes doing the work would not.
			if m.CPUPerRequest() < time.Microsecond {
				t.Errorf("CPU per request %v: the proxy's work was not counted", m.CPUPerRequest())
			}
			if wantCookie := map[string]string{"nginx": "", "caddy": "SRV"}[tc.bin]; m.Cookie != wantCookie {
				t.Errorf("cookie checked %q, want %q", m.Cookie, wantCookie)
			}
			if m.Unpinned != 0 {
				t.Errorf("%s moved %d requests away from their cookie's server", tc.bin, m.Unpinned)
			}
		})
	}
}

// TestProcTree finds the processes a process started, grandchildren
// included.
func TestProcTree(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sh -c 'sleep 30 & wait' & wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, pid := range procTree(cmd.Process.Pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		cmd.Wait()
	}()
	var pids []int
	for deadline := time.Now().Add(5 * time.Second); len(pids) < 3 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		pids = procTree(cmd.Process.Pid)
	}
	if len(pids) != 3 || pids[0] != cmd.Process.Pid {
		t.Fatalf("procTree = %v, want the shell, its child shell and sleep", pids)
	}
	// The grandchild is a forked shell until it has exec'd sleep.
	var comm []byte
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if comm, err = os.ReadFile("/proc/" + strconv.Itoa(pids[2]) + "/comm"); err != nil || string(comm) == "sleep\n" {
			break
		}
	}
	if err != nil || string(comm) != "sleep\n" {
		t.Errorf("the grandchild is %q, %v; want sleep", comm, err)
	}
}

func TestParsePerfCounts(t *testing.T) {
	out := "# started on Sun Nov 22 07:15:43 2026\n\n" +
		"100,,raw_syscalls:sys_enter,64415,100.00,,\n" +
		"7,,context-switches,64415,100.00,,\n" +
		"0,,cpu-migrations,64415,100.00,,\n" +
		"40,,syscalls:sys_enter_read,64415,100.00,,\n" +
		"40,,syscalls:sys_enter_writev,64415,100.00,,\n" +
		"5,,syscalls:sys_enter_futex,64415,100.00,,\n"
	calls, ctx, err := parsePerfCounts([]byte(out))
	if err != nil || ctx != 7 {
		t.Fatalf("parsePerfCounts: %d context switches, %v", ctx, err)
	}
	got := make(map[string]uint64)
	for _, c := range calls {
		got[c.Name] = c.Calls
	}
	if len(calls) != len(TracedSyscalls)+1 || got["read"] != 40 || got["writev"] != 40 ||
		got["futex"] != 5 || got["other"] != 15 || got["sendto"] != 0 {
		t.Errorf("parsePerfCounts = %v", calls)
	}
	if _, _, err := parsePerfCounts([]byte("<not supported>,,raw_syscalls:sys_enter,0,100.00,,\n")); err == nil {
		t.Error("an unsupported counter parsed")
	}
}

// TestSuiteSyscallsHAProxy runs the syscall pass against haproxy where perf
// can count: it makes at least its two reads and two writes per request.
func TestSuiteSyscallsHAProxy(t *testing.T) {
	path, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy is not installed; .ci/run installs it")
	}
	if !counterWorks(t.TempDir()) {
		t.Skip("perf cannot count system calls here")
	}
	s := &Suite{Users: 4, Requests: 2000, Warmup: 200, Cookie: "SRV", Dir: t.TempDir(), Syscalls: true}
	ms, err := s.Run(context.Background(), []Proxy{HAProxyProxy(path)})
	if err != nil {
		t.Fatal(err)
	}
	m := ms[0]
	var total, io uint64
	for _, c := range m.Syscalls {
		total += c.Calls
		switch c.Name {
		case "recvfrom", "sendto", "read", "write", "readv", "writev", "recvmsg", "sendmsg":
			io += c.Calls
		}
	}
	if m.TracedRequests != 2000 || io < 4*m.TracedRequests || total < io {
		t.Errorf("%d requests, %d socket reads and writes, %d system calls", m.TracedRequests, io, total)
	}
}

// TestReadNetCounts reads the kernel's counters around a loopback exchange:
// they grow.
func TestReadNetCounts(t *testing.T) {
	before, err := readNetCounts()
	if err != nil {
		t.Skip("no /proc/net counters here")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			_, _ = c.Write(make([]byte, 1000))
			_ = c.Close()
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(c)
	_ = c.Close()
	after, err := readNetCounts()
	if err != nil {
		t.Fatal(err)
	}
	if after.outSegs < before.outSegs+3 || after.inOctets < before.inOctets+1000 {
		t.Errorf("counters went from %+v to %+v over a 1000-byte exchange", before, after)
	}
}
