package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"

	"golang.org/x/sys/unix"
)

// Proxy is one proxy under test in the side-by-side suite.
type Proxy struct {
	Name string
	// Command is the proxy's argv; "{config}" in any word is replaced by the
	// path of the rendered configuration, "{dir}" by the suite's directory.
	Command []string
	// Env is added to the suite's environment, "{dir}" replaced as in
	// Command.
	Env []string
	// Config is a text/template of the configuration, executed with a
	// SuiteEnv.
	Config string
	// NoCookie says that the proxy cannot insert a persistence cookie: its
	// users keep none and its stickiness is not checked.
	NoCookie bool
}

// SuiteEnv is what a proxy configuration template sees.
type SuiteEnv struct {
	Listen  string        // host:port the proxy must listen on
	Origins []SuiteOrigin // the origins, in order
	Threads int           // worker threads / event loops the proxy should use
	Dir     string        // the suite's directory, for a proxy's own files
}

// SuiteOrigin is one origin server of a suite run.
type SuiteOrigin struct {
	Name string // s1, s2, ...: the name it answers with in x-server
	Addr string // host:port
}

// Suite is a side-by-side run: every proxy gets the same origins, the same
// configuration intent and the same closed-loop load.
type Suite struct {
	Origins  int    // origin servers, default 3
	Users    int    // virtual users, default 50
	Requests int    // measured requests per proxy, default 200000
	Warmup   int    // requests before measuring, default Requests/10
	Threads  int    // threads per proxy, default 1
	Cookie   string // persistence cookie the users keep and check
	// Instructions selects how instructions are counted: "" (not at all),
	// "perf" (perf stat -e instructions on the running proxy, user and
	// kernel), "callgrind" (the proxy runs under valgrind's callgrind,
	// user space only, and much slower) or "icount" (the proxy's CPU time in
	// nanoseconds, user and kernel, which inside the guest that
	// bench/icount/run.sh boots under QEMU's -icount shift=0 is the number of
	// instructions it executed; refused outside that guest).
	Instructions string
	// Syscalls adds a second pass of Requests requests, after the measured
	// one, with perf stat counting the proxy's system calls (by name, see
	// TracedSyscalls) and context switches. Counting slows the proxy down a
	// little, so the pass is kept apart from the time and instruction
	// counts.
	Syscalls bool
	Dir      string    // where configurations and counter files go; a temp dir when ""
	Log      io.Writer // progress lines, discarded when nil
}

// Measurement is what the suite measured for one proxy.
type Measurement struct {
	Proxy    string
	Cookie   string // the persistence cookie users kept and checked, "" for none
	Requests uint64
	Errors   uint64
	Non2xx   uint64
	Unpinned uint64
	Elapsed  time.Duration
	CPU      time.Duration // user+system CPU of the proxy process over the measured requests
	// UserShare is the part of CPU spent in user space, from the kernel's
	// tick-sampled user and system times: an estimate, precise to a few
	// percent over a run of a few seconds.
	UserShare    float64
	Instructions int64 // -1 when not counted
	MaxRSS       int64 // peak resident set of the proxy, KiB
	P50, P99     int64 // latency, µs

	// The syscall pass (Suite.Syscalls): its requests, the proxy's system
	// calls (most frequent first) and context switches over it.
	TracedRequests uint64
	Syscalls       []SyscallCount
	CtxSwitches    uint64

	// Segments and Octets are the loopback TCP segments sent and IP bytes
	// received by the whole machine over the measured requests (0 where
	// the kernel's counters cannot be read): with the same load, what the
	// kernel moves for each proxy.
	Segments, Octets uint64
}

// CPUPerRequest returns the proxy's CPU time per measured request.
func (m *Measurement) CPUPerRequest() time.Duration {
	if m.Requests == 0 {
		return 0
	}
	return m.CPU / time.Duration(m.Requests)
}

// InstructionsPerRequest returns instructions per measured request, or -1.
func (m *Measurement) InstructionsPerRequest() int64 {
	if m.Instructions < 0 || m.Requests == 0 {
		return -1
	}
	return m.Instructions / int64(m.Requests)
}

// ErrNoCounter is returned when the requested instruction counter cannot
// count on this machine.
var ErrNoCounter = errors.New("bench: instruction counter not supported here")

// Run measures every proxy in turn and returns one Measurement each.
func (s *Suite) Run(ctx context.Context, proxies []Proxy) ([]Measurement, error) {
	s.defaults()
	dir := s.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "tetherbench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if s.Instructions == "perf" && !perfWorks() || s.Instructions == "icount" && !icountGuest() {
		return nil, ErrNoCounter
	}
	if s.Syscalls && !counterWorks(dir) {
		return nil, ErrNoTracer
	}
	env := SuiteEnv{Threads: s.Threads, Dir: dir}
	for i := range s.Origins {
		o := &Origin{Name: "s" + strconv.Itoa(i+1)}
		if err := o.Start("127.0.0.1:0"); err != nil {
			return nil, err
		}
		defer o.Close()
		env.Origins = append(env.Origins, SuiteOrigin{Name: o.Name, Addr: o.Addr().String()})
	}
	var out []Measurement
	for _, p := range proxies {
		m, err := s.measure(ctx, dir, p, env)
		if err != nil {
			return out, fmt.Errorf("%s: %w", p.Name, err)
		}
		out = append(out, *m)
	}
	return out, nil
}

func (s *Suite) defaults() {
	if s.Origins <= 0 {
		s.Origins = 3
	}
	if s.Users <= 0 {
		s.Users = 50
	}
	if s.Requests <= 0 {
		s.Requests = 200000
	}
	if s.Warmup <= 0 {
		s.Warmup = s.Requests / 10
	}
	if s.Threads <= 0 {
		s.Threads = 1
	}
	if s.Log == nil {
		s.Log = io.Discard
	}
}

func (s *Suite) measure(ctx context.Context, dir string, p Proxy, env SuiteEnv) (*Measurement, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env.Listen = "127.0.0.1:" + strconv.Itoa(port)
	cfgPath := filepath.Join(dir, p.Name+".cfg")
	if err := renderConfig(cfgPath, p.Config, env); err != nil {
		return nil, err
	}
	expand := strings.NewReplacer("{config}", cfgPath, "{dir}", dir).Replace
	argv := make([]string, len(p.Command))
	for i, w := range p.Command {
		argv[i] = expand(w)
	}
	var cgOut string
	if s.Instructions == "callgrind" {
		cgOut = filepath.Join(dir, p.Name+".callgrind")
		argv = append([]string{"valgrind", "--tool=callgrind", "--callgrind-out-file=" + cgOut}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	// The proxy dies with the suite, even if the suite is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Env = os.Environ()
	for _, kv := range p.Env {
		cmd.Env = append(cmd.Env, expand(kv))
	}
	if cgOut != "" {
		// valgrind trips over the signals of Go's asynchronous preemption.
		cmd.Env = append(cmd.Env, "GODEBUG=asyncpreemptoff=1")
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	wait := 10 * time.Second
	if cgOut != "" {
		wait = time.Minute
	}
	if err := waitListening(env.Listen, wait, exited); err != nil {
		return nil, fmt.Errorf("%w; stderr: %s", err, stderr.String())
	}
	fmt.Fprintf(s.Log, "%s: warming up with %d requests\n", p.Name, s.Warmup)
	load := Load{Target: env.Listen, Users: s.Users, Requests: s.Warmup, Cookie: s.Cookie}
	if p.NoCookie {
		load.Cookie = ""
	}
	if _, err := Run(ctx, load); err != nil {
		return nil, err
	}
	pid := cmd.Process.Pid
	// The processes measured: the proxy and those it started (nginx's
	// workers), all running by the end of the warm-up.
	pids := procTree(pid)
	before, err := sumOver(pids, procCPU)
	if err != nil {
		return nil, err
	}
	userBefore, sysBefore, err := treeTimes(pids)
	if err != nil {
		return nil, err
	}
	if cgOut != "" {
		if err := exec.Command("callgrind_control", "--zero", strconv.Itoa(pid)).Run(); err != nil {
			return nil, fmt.Errorf("callgrind_control --zero: %w", err)
		}
	}
	var perf *exec.Cmd
	var perfOut bytes.Buffer
	if s.Instructions == "perf" {
		perf = exec.Command("perf", "stat", "-x,", "-e", "instructions", "-p", strconv.Itoa(pid))
		perf.Stderr = &perfOut
		if err := perf.Start(); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(s.Log, "%s: measuring %d requests\n", p.Name, s.Requests)
	load.Requests = s.Requests
	net0, netErr := readNetCounts()
	res, err := Run(ctx, load)
	if err != nil {
		return nil, err
	}
	net1, netErr1 := readNetCounts()
	after, err := sumOver(pids, procCPU)
	if err != nil {
		return nil, err
	}
	userAfter, sysAfter, err := treeTimes(pids)
	if err != nil {
		return nil, err
	}
	m := &Measurement{
		Proxy: p.Name, Cookie: load.Cookie, Requests: res.Requests, Errors: res.Errors, Non2xx: res.Non2xx,
		Unpinned: res.Unpinned, Elapsed: res.Elapsed, CPU: after - before,
		Instructions: -1, P50: res.P50, P99: res.P99,
	}
	if netErr == nil && netErr1 == nil {
		m.Segments, m.Octets = net1.outSegs-net0.outSegs, net1.inOctets-net0.inOctets
	}
	if ticks := userAfter - userBefore + sysAfter - sysBefore; ticks > 0 {
		m.UserShare = float64(userAfter-userBefore) / float64(ticks)
	}
	if perf != nil {
		perf.Process.Signal(syscall.SIGINT)
		perf.Wait()
		if m.Instructions, err = parsePerf(perfOut.Bytes()); err != nil {
			return nil, err
		}
	}
	if s.Instructions == "icount" {
		m.Instructions = int64(m.CPU)
	}
	if cgOut != "" {
		if err := exec.Command("callgrind_control", "--dump=measured", strconv.Itoa(pid)).Run(); err != nil {
			return nil, fmt.Errorf("callgrind_control --dump: %w", err)
		}
		if m.Instructions, err = callgrindDump(cgOut); err != nil {
			return nil, err
		}
	}
	m.MaxRSS, _ = sumOver(pids, procHWM)
	if s.Syscalls {
		if err := s.traceSyscalls(ctx, dir, pids, load, m); err != nil {
			return nil, err
		}
	}
	// A graceful stop first; the deferred Kill ends a proxy that lingers.
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		exited <- err
	case <-time.After(10 * time.Second):
	}
	return m, nil
}

// traceSyscalls runs the syscall pass of load on process pid into m.
func (s *Suite) traceSyscalls(ctx context.Context, dir string, pids []int, load Load, m *Measurement) error {
	fmt.Fprintf(s.Log, "%s: counting system calls over %d requests\n", m.Proxy, load.Requests)
	c, err := startSyscallCounter(dir, pids...)
	if err != nil {
		return err
	}
	if err := c.command("enable"); err != nil {
		c.kill()
		return err
	}
	res, err := Run(ctx, load)
	if err == nil {
		err = c.command("disable")
	}
	if err != nil {
		c.kill()
		return err
	}
	m.TracedRequests = res.Requests
	m.Syscalls, m.CtxSwitches, err = c.stop()
	return err
}

func renderConfig(path, text string, env SuiteEnv) error {
	t, err := template.New(filepath.Base(path)).Parse(text)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, env); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ErrNotListening is returned when a proxy does not accept connections in time.
var ErrNotListening = errors.New("bench: proxy did not start listening")

// ErrExited is returned when a proxy exits before accepting connections.
var ErrExited = errors.New("bench: proxy exited at start")

// waitListening waits until addr accepts a connection, d passes, or the
// process reports on exited (its report is put back for the caller).
func waitListening(addr string, d time.Duration, exited chan error) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err
			return ErrExited
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ErrNotListening
}

// procCPU returns the user+system CPU time of process pid and all its
// threads, live and exited, to the nanosecond: the kernel's scheduler clock
// of the process (clock_gettime on its CPU clock, CPUCLOCK_SCHED), not the
// tick-sampled times of /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	// The clock id of a process's CPU clock: the complement of the pid
	// shifted left by three, with the low bits selecting the scheduler clock
	// (clock_getcpuclockid(3) computes the same).
	id := int32(^pid)<<3 | 2
	var ts unix.Timespec
	if err := unix.ClockGettime(id, &ts); err != nil {
		return 0, fmt.Errorf("bench: CPU clock of %d: %w", pid, err)
	}
	return time.Duration(ts.Nano()), nil
}

// procTree returns pid and the processes it started, their children
// included, as the kernel lists them (/proc/PID/task/TID/children); a
// process that cannot be read is listed without its children.
func procTree(pid int) []int {
	pids := []int{pid}
	for i := 0; i < len(pids); i++ {
		tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pids[i]) + "/task/*/children")
		for _, t := range tasks {
			b, _ := os.ReadFile(t)
			for _, f := range strings.Fields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil && !slices.Contains(pids, c) {
					pids = append(pids, c)
				}
			}
		}
	}
	return pids
}

// sumOver adds up f over the processes pids.
func sumOver[T time.Duration | int64](pids []int, f func(pid int) (T, error)) (T, error) {
	var sum T
	for _, pid := range pids {
		v, err := f(pid)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

// treeTimes returns the user and system times of the processes pids (see
// procTimes), added up.
func treeTimes(pids []int) (user, system int64, err error) {
	for _, pid := range pids {
		u, s, err := procTimes(pid)
		if err != nil {
			return 0, 0, err
		}
		user, system = user+u, system+s
	}
	return user, system, nil
}

// icountGuest reports whether this is the guest bench/icount/run.sh boots,
// where a nanosecond of CPU time is one instruction: it marks the kernel
// command line with tetherbench.icount=1.
func icountGuest() bool {
	b, err := os.ReadFile("/proc/cmdline")
	return err == nil && slices.Contains(strings.Fields(string(b)), "tetherbench.icount=1")
}

// procTimes returns the user and system times of process pid and its
// threads, in clock ticks, as the kernel samples them (stat(5) fields 14
// and 15).
func procTimes(pid int) (user, system int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces; f[0] is field 3.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, ErrProcStat
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, 0, ErrProcStat
	}
	user, err1 := strconv.ParseInt(f[11], 10, 64)
	system, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, ErrProcStat
	}
	return user, system, nil
}

// ErrProcStat is returned for a /proc/PID/stat this package cannot read.
var ErrProcStat = errors.New("bench: malformed /proc/PID/stat")

// procHWM returns the peak resident set size of process pid in KiB.
func procHWM(pid int) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("bench: no VmHWM")
}

func perfWorks() bool {
	out, err := exec.Command("perf", "stat", "-x,", "-e", "instructions", "true").CombinedOutput()
	if err != nil {
		return false
	}
	_, err = parsePerf(out)
	return err == nil
}

// parsePerf reads the instruction count from perf stat -x, output.
func parsePerf(out []byte) (int64, error) {
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ",")
		if len(f) >= 3 && strings.HasPrefix(f[2], "instructions") {
			if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				return n, nil
			}
			return 0, ErrNoCounter
		}
	}
	return 0, ErrNoCounter
}

// callgrindDump reads the instruction count of the dump named "measured"
// that callgrind wrote beside out (out.1, out.2, ...: the last one).
func callgrindDump(out string) (int64, error) {
	files, err := filepath.Glob(out + ".*")
	if err != nil || len(files) == 0 {
		return 0, errors.New("bench: no callgrind dump")
	}
	var newest string
	var newestTime time.Time
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.ModTime().After(newestTime) {
			newest, newestTime = f, st.ModTime()
		}
	}
	b, err := os.ReadFile(newest)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "summary: "); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "totals: "); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return 0, errors.New("bench: no total in callgrind output")
}
