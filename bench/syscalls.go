package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// SyscallCount is how many times a proxy made one system call over a
// syscall pass (see Suite.Syscalls). The name "other" counts the calls not
// named in TracedSyscalls.
type SyscallCount struct {
	Name  string
	Calls uint64
}

// TracedSyscalls are the system calls the syscall pass counts by name: the
// socket calls of both proxies, their pollers, and what the Go runtime uses
// to park and wake threads.
var TracedSyscalls = []string{
	"read", "write", "readv", "writev", "recvfrom", "sendto", "recvmsg", "sendmsg",
	"epoll_wait", "epoll_pwait", "epoll_ctl", "accept4", "close",
	"futex", "nanosleep", "clock_nanosleep", "sched_yield", "clock_gettime",
	"getpid", "tgkill", "rt_sigreturn",
}

// ErrNoTracer is returned when perf cannot count system calls here.
var ErrNoTracer = errors.New("bench: perf cannot count system calls here (perf stat with tracepoints)")

// syscallCounter is a `perf stat` attached to one process, counting its
// system calls and context switches between enable and disable, which it
// acknowledges, so the window is exactly the caller's.
type syscallCounter struct {
	cmd      *exec.Cmd
	out      string
	ctl, ack *os.File
	stderr   bytes.Buffer
}

// counterEvents returns perf's event list: every system call, each traced
// one, context switches and migrations between CPUs.
func counterEvents() string {
	ev := []string{"raw_syscalls:sys_enter", "context-switches", "cpu-migrations"}
	for _, name := range TracedSyscalls {
		ev = append(ev, "syscalls:sys_enter_"+name)
	}
	return strings.Join(ev, ",")
}

// startSyscallCounter attaches a disabled perf stat to the processes pids,
// counting them together (no pid: it runs `sleep 3` under it, to check perf
// works); its files go in dir.
func startSyscallCounter(dir string, pids ...int) (*syscallCounter, error) {
	list := make([]string, len(pids))
	for i, pid := range pids {
		list[i] = strconv.Itoa(pid)
	}
	tag := "0"
	if len(pids) > 0 {
		tag = list[0]
	}
	c := &syscallCounter{out: filepath.Join(dir, "perf-"+tag+".csv")}
	ctl, ack := filepath.Join(dir, "perf-"+tag+".ctl"), filepath.Join(dir, "perf-"+tag+".ack")
	for _, f := range []string{ctl, ack} {
		os.Remove(f)
		if err := syscall.Mkfifo(f, 0o600); err != nil {
			return nil, err
		}
	}
	args := []string{"stat", "-x,", "-o", c.out, "-D", "-1", "--control", "fifo:" + ctl + "," + ack, "-e", counterEvents()}
	if len(pids) > 0 {
		args = append(args, "-p", strings.Join(list, ","))
	} else {
		args = append(args, "sleep", "3")
	}
	c.cmd = exec.Command("perf", args...)
	c.cmd.Stdout, c.cmd.Stderr = &c.stderr, &c.stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	var err error
	// Opening a FIFO blocks until the other end opens; perf opens both
	// when it starts.
	if c.ctl, err = openTimeout(ctl, os.O_WRONLY); err == nil {
		c.ack, err = openTimeout(ack, os.O_RDONLY)
	}
	if err != nil {
		c.kill()
		return nil, errors.Join(ErrNoTracer, err, errors.New(c.stderr.String()))
	}
	return c, nil
}

// openTimeout opens a FIFO, giving up after 30 s.
func openTimeout(path string, flag int) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.OpenFile(path, flag, 0)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-time.After(30 * time.Second):
		// Unblock the opener: opening the other end completes it.
		other := os.O_RDONLY
		if flag == os.O_RDONLY {
			other = os.O_WRONLY
		}
		if f, err := os.OpenFile(path, other|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		if o := <-ch; o.f != nil {
			o.f.Close()
		}
		return nil, fmt.Errorf("bench: perf did not open %s", path)
	}
}

// command sends enable or disable and waits for perf's acknowledgement.
func (c *syscallCounter) command(cmd string) error {
	if _, err := c.ctl.WriteString(cmd + "\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(c.ack).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ack" {
		return errors.Join(ErrNoTracer, err)
	}
	return nil
}

func (c *syscallCounter) kill() {
	c.cmd.Process.Kill()
	c.cmd.Wait()
	for _, f := range []*os.File{c.ctl, c.ack} {
		if f != nil {
			f.Close()
		}
	}
}

// stop ends perf and returns what it counted: the system calls by name
// (TracedSyscalls order, then "other"), and the context switches.
func (c *syscallCounter) stop() ([]SyscallCount, uint64, error) {
	c.cmd.Process.Signal(syscall.SIGINT)
	c.cmd.Wait()
	c.ctl.Close()
	c.ack.Close()
	b, err := os.ReadFile(c.out)
	if err != nil {
		return nil, 0, errors.Join(ErrNoTracer, err)
	}
	return parsePerfCounts(b)
}

// parsePerfCounts reads the counters of counterEvents from perf stat -x,
// output.
func parsePerfCounts(b []byte) ([]SyscallCount, uint64, error) {
	counts := make(map[string]uint64)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 3 {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %q", ErrNoTracer, line)
		}
		counts[f[2]] = n
	}
	total, ok := counts["raw_syscalls:sys_enter"]
	if !ok {
		return nil, 0, ErrNoTracer
	}
	out := make([]SyscallCount, 0, len(TracedSyscalls)+1)
	var named uint64
	for _, name := range TracedSyscalls {
		n := counts["syscalls:sys_enter_"+name]
		named += n
		out = append(out, SyscallCount{name, n})
	}
	out = append(out, SyscallCount{"other", total - min(named, total)})
	return out, counts["context-switches"], nil
}

// counterWorks reports whether perf can count system calls here.
func counterWorks(dir string) bool {
	c, err := startSyscallCounter(dir)
	if err != nil {
		return false
	}
	defer c.kill()
	return c.command("enable") == nil && c.command("disable") == nil
}
