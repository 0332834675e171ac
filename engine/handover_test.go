package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"tether/engine/config"
)

// childEnv selects a child process mode of the test binary (see TestMain).
const childEnv = "TETHER_ENGINE_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode, os.Getenv("TETHER_HANDOVER_SOCK")))
	}
	os.Exit(m.Run())
}

// runChild is a listener owner: "old" binds 127.0.0.1:0, "new" takes the
// listeners of the old one over the handover socket. Both serve echo
// clients, pass their listeners to whoever connects to the handover socket,
// print "READY <addr>" and stop gracefully on SIGUSR1.
func runChild(mode, sock string) int {
	if mode == "sink" {
		return runSink()
	}
	bind, err := config.ParseListenAddr("127.0.0.1:0")
	if err != nil {
		fmt.Println("ERR bind:", err)
		return 1
	}
	var inherited map[string]*os.File
	if mode == "new" {
		if inherited, err = FetchListeners(sock, 5*time.Second); err != nil {
			fmt.Println("ERR fetch:", err)
			return 1
		}
		_ = os.Remove(sock)
	}
	ln, err := Listen(bind, inherited)
	if err != nil {
		fmt.Println("ERR listen:", err)
		return 1
	}
	s := NewServer(Config{Loops: 2}, echoHandler{})
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	<-s.Ready()
	ul, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Println("ERR handover socket:", err)
		return 1
	}
	go func() {
		for {
			c, err := ul.Accept()
			if err != nil {
				return
			}
			line, err := bufio.NewReader(c).ReadString('\n')
			if err == nil && line == HandoverCommand+"\n" {
				_ = SendListeners(c.(*net.UnixConn), s.Listeners())
			}
			_ = c.Close()
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	fmt.Println("READY", ln.Addr())
	<-sig
	_ = ul.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		fmt.Println("ERR shutdown:", err)
		return 1
	}
	<-errc
	return 0
}

// runSink is an origin in a process of its own, so that benchmarks count
// only the proxy's CPU time: it reads every connection until EOF.
func runSink() int {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERR listen:", err)
		return 1
	}
	fmt.Println("READY", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			return 0
		}
		go func() {
			_, _ = io.Copy(io.Discard, c)
			_ = c.Close()
		}()
	}
}

// child is a process started from the test binary.
type child struct {
	cmd  *exec.Cmd
	addr string
	out  *bufio.Reader
}

func startChild(t testing.TB, mode, sock string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// The child dies with this process, even if it is killed or times out.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "TETHER_HANDOVER_SOCK="+sock)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	c := &child{cmd: cmd, out: bufio.NewReader(out)}
	line := make(chan string, 1)
	go func() {
		s, _ := c.out.ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		addr, ok := strings.CutPrefix(strings.TrimSpace(s), "READY ")
		if !ok {
			t.Fatalf("%s child said %q", mode, s)
		}
		c.addr = addr
	case <-time.After(10 * time.Second):
		t.Fatalf("%s child not ready", mode)
	}
	return c
}

// stop asks the child to stop gracefully and waits for it.
func (c *child) stop(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		rest, _ := io.ReadAll(c.out)
		if len(rest) > 0 {
			t.Logf("child output: %s", rest)
		}
		done <- c.cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("child exit: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("child did not stop")
	}
}

// TestReloadHandoverRefusesNothing runs a stream of short connections while
// a new process takes the listening socket over from the old one, which
// then stops gracefully: every connection must be served.
func TestReloadHandoverRefusesNothing(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "handover.sock")
	old := startChild(t, "old", sock)
	addr := old.addr

	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 16)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				msg := fmt.Sprintf("w%d-%d", w, i)
				err := func() error {
					c, err := net.DialTimeout("tcp", addr, 5*time.Second)
					if err != nil {
						return err
					}
					defer c.Close()
					_ = c.SetDeadline(time.Now().Add(5 * time.Second))
					if _, err := c.Write([]byte(msg)); err != nil {
						return err
					}
					if _, err := io.ReadFull(c, buf[:len(msg)]); err != nil {
						return err
					}
					if string(buf[:len(msg)]) != msg {
						return fmt.Errorf("echo %q for %q", buf[:len(msg)], msg)
					}
					return nil
				}()
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				} else {
					ok.Add(1)
				}
			}
		}()
	}

	time.Sleep(300 * time.Millisecond)
	before := ok.Load()
	nw := startChild(t, "new", sock)
	if nw.addr != addr {
		t.Errorf("new process listens on %s, want the inherited %s", nw.addr, addr)
	}
	old.stop(t)
	afterOld := ok.Load()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("%d exchanges before the new process, %d until the old one exited, %d in all; %d failed",
		before, afterOld, ok.Load(), failed.Load())
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d connections failed during the handover; first: %v", n, firstErr.Load())
	}
	if ok.Load() == afterOld {
		t.Fatal("no exchange served by the new process alone")
	}
	nw.stop(t)
}
