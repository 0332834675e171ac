package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	gerrors "github.com/panjf2000/gnet/v2/pkg/errors"
	"golang.org/x/sys/unix"
)

// Endpoint receives the events of one client connection. The engine keeps
// it in the connection's context; every method runs on the connection's
// loop.
type Endpoint interface {
	// OnOpen runs once, right after Accept returned the Endpoint. (A
	// producer resumed by a Valve comes back through the Valve's callback.)
	OnOpen(c gnet.Conn) gnet.Action
	// OnTraffic runs when bytes arrive (see gnet.EventHandler.OnTraffic).
	OnTraffic(c gnet.Conn) gnet.Action
	// OnClose runs once when the socket closes, whoever closed it.
	OnClose(c gnet.Conn, err error)
}

// Handler is the protocol layer on top of the transport.
type Handler interface {
	// Accept returns the Endpoint of a client connection accepted on ln, or
	// nil to close it at once. It runs on l's goroutine.
	Accept(l *Loop, ln *Listener, c gnet.Conn) Endpoint
	// Drain runs on every loop when a graceful stop begins: close the idle
	// client connections and let the busy ones finish (then close them).
	Drain(l *Loop)
}

// Config sets up a Server. Zero values select the defaults.
type Config struct {
	// Loops is the number of event loops (HAProxy's nbthread); default
	// GOMAXPROCS. Serve raises GOMAXPROCS to Loops+1 so goroutines (dials,
	// accepts, the Go runtime) never wait for a loop's P. The spare P costs
	// instructions (each time gnet yields after an empty poll, the Go
	// scheduler wakes a thread to look for work), but that thread is also
	// what notices new connections on the accept goroutines' sockets: with
	// one P per loop a busy loop leaves them to the runtime's 10 ms network
	// poll (BENCHMARKS.md measures both).
	Loops int
	// MaxConn bounds concurrent client connections; default derived from
	// RLIMIT_NOFILE by MaxConnFor. Clients over it are closed at once.
	MaxConn int
	// Tick is the timer wheel's resolution; default 10 ms.
	Tick time.Duration
}

// Server runs the gnet engine, its loops and listeners. Its exported
// methods are safe for concurrent use.
type Server struct {
	cfg Config
	h   Handler
	eng gnet.Engine
	// internal is the directory of gnet's own listening socket until
	// OnBoot removes it.
	internal string
	budget   int64 // sockets the engine may hold open at once
	hardMax  int64 // the process's maxconn as configured (HAProxy's hard maxconn)
	maxConn  atomic.Int64

	mu      sync.Mutex
	loops   map[gnet.EventLoop]*Loop
	lns     []*Listener
	tunnels map[*Tunnel]struct{}

	fds      atomic.Int64 // sockets held: clients, upstreams, detached ones
	clients  atomic.Int64 // client connections, tunnelled ones included
	pending  atomic.Int64 // accepted connections not yet opened on a loop
	draining atomic.Bool
	started  atomic.Bool
	ready    chan struct{} // closed once the loops run and accepting began
	done     chan struct{} // closed when Serve returns
	stopTick context.CancelFunc
	tickCtx  context.Context
	workers  sync.WaitGroup // tick goroutines
	accepts  sync.WaitGroup // accept goroutines
}

// NewServer returns a server for h. It reads RLIMIT_NOFILE for its budgets:
// call RaiseNoFile before.
func NewServer(cfg Config, h Handler) *Server {
	if cfg.Loops <= 0 {
		cfg.Loops = runtime.GOMAXPROCS(0)
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 10 * time.Millisecond
	}
	var rl unix.Rlimit
	nofile := uint64(1024)
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil {
		nofile = rl.Cur
	}
	if cfg.MaxConn <= 0 {
		cfg.MaxConn = MaxConnFor(nofile)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:      cfg,
		h:        h,
		budget:   fdBudget(nofile),
		hardMax:  int64(cfg.MaxConn),
		loops:    make(map[gnet.EventLoop]*Loop),
		tunnels:  make(map[*Tunnel]struct{}),
		ready:    make(chan struct{}),
		done:     make(chan struct{}),
		tickCtx:  ctx,
		stopTick: cancel,
	}
	s.maxConn.Store(int64(cfg.MaxConn))
	return s
}

// Serve runs the engine with the given listeners until Stop or Shutdown.
// It accepts on the listeners from its own goroutines and enrolls each
// connection on a loop, so a listener can be an inherited socket, accepting
// can stop without stopping the loops, and running out of descriptors at
// accept never stops the engine.
func (s *Server) Serve(lns ...*Listener) error {
	defer close(s.done)
	s.mu.Lock()
	s.lns = append(s.lns, lns...)
	s.mu.Unlock()
	if runtime.GOMAXPROCS(0) < s.cfg.Loops+1 {
		runtime.GOMAXPROCS(s.cfg.Loops + 1)
	}
	// gnet wants a listener of its own: a unix socket in a directory of
	// its own, which OnBoot unlinks as soon as it is bound, so nobody can
	// reach it and nothing is left behind. (gnet reads the address as a
	// URL, so an abstract name, which starts with '@', cannot be given.)
	// Without a writable temporary directory, a loopback port that
	// OnOpen closes every connection of.
	addr := "tcp://127.0.0.1:0"
	if dir, err := os.MkdirTemp("", "tether-engine-"); err == nil {
		s.internal = dir
		defer os.RemoveAll(dir) // in case gnet fails before OnBoot
		addr = "unix://" + filepath.Join(dir, "engine.sock")
	}
	return gnet.Run((*events)(s), addr,
		gnet.WithMulticore(true),
		gnet.WithNumEventLoop(s.cfg.Loops),
		gnet.WithLoadBalancing(gnet.LeastConnections),
		gnet.WithTicker(true),
		gnet.WithLogger(gnetLogger{}))
}

// Ready is closed once the loops run and the listeners accept.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Listeners returns the listeners being served, for a handover.
func (s *Server) Listeners() []*Listener {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Listener(nil), s.lns...)
}

// MaxConn returns the client connection limit.
func (s *Server) MaxConn() int { return int(s.maxConn.Load()) }

// HardMaxConn returns the maxconn the server started with, which
// SetMaxConn may not exceed.
func (s *Server) HardMaxConn() int { return int(s.hardMax) }

// SetMaxConn changes how many clients the server holds at once, as `set
// maxconn global` does: n at most HardMaxConn, and n <= 0 restores it.
// Clients over a lowered limit stay; new ones are refused as over the
// configured limit.
func (s *Server) SetMaxConn(n int) error {
	if int64(n) > s.hardMax {
		return ErrMaxConnRange
	}
	if n <= 0 {
		n = int(s.hardMax)
	}
	s.maxConn.Store(int64(n))
	return nil
}

// Clients returns the number of open client connections, tunnels included.
func (s *Server) Clients() int { return int(s.clients.Load()) }

// Draining reports whether a graceful stop has begun: the protocol layer
// then closes client connections as soon as they are idle.
func (s *Server) Draining() bool { return s.draining.Load() }

// Shutdown stops gracefully: it stops accepting (closing this process's
// listening descriptors; a process that inherited them keeps accepting, and
// connections still queued stay queued for it), runs Handler.Drain on every
// loop, waits until no client connection is left (those accepted while
// stopping included) or ctx ends, then stops the engine.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	select {
	case <-s.ready:
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	for _, ln := range s.Listeners() {
		_ = ln.Close()
	}
	s.accepts.Wait() // every accepted connection is now counted in pending
	s.mu.Lock()
	for _, l := range s.loops {
		_ = l.Execute(func() { s.h.Drain(l) })
	}
	s.mu.Unlock()
	tk := time.NewTicker(10 * time.Millisecond)
	defer tk.Stop()
	for s.clients.Load() > 0 || s.pending.Load() > 0 {
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), s.Stop(context.Background()))
		case <-tk.C:
		}
	}
	return s.Stop(ctx)
}

// Stop stops at once: listeners, tunnels, every connection, the loops. It
// waits for the engine and its goroutines to end, or for ctx.
func (s *Server) Stop(ctx context.Context) error {
	s.draining.Store(true)
	select {
	case <-s.ready:
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	for _, ln := range s.lns {
		_ = ln.Close()
	}
	for t := range s.tunnels {
		t.abort()
	}
	s.mu.Unlock()
	s.stopTick()
	s.accepts.Wait()
	err := s.eng.Stop(ctx)
	if errors.Is(err, gerrors.ErrEngineInShutdown) {
		err = nil // the engine stopped by itself
	}
	s.workers.Wait()
	if err == nil {
		s.mu.Lock()
		for _, l := range s.loops {
			l.dropValves() // the loops have stopped: nothing else touches them
		}
		var relaying []*Tunnel
		for t := range s.tunnels {
			if t.state == tunnelRelaying {
				relaying = append(relaying, t)
			}
		}
		s.mu.Unlock()
		for _, t := range relaying { // aborted above: their relays end
			select {
			case <-t.relayDone:
				t.relayed()
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return err
}

// loopOf returns the state of el, creating it (and its clock) on first use.
func (s *Server) loopOf(el gnet.EventLoop) *Loop {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.loops[el]
	if l == nil {
		l = newLoop(s, el)
		s.loops[el] = l
		s.workers.Add(1)
		go func() {
			defer s.workers.Done()
			l.run(s.tickCtx)
		}()
	}
	return l
}

// socketClosed uncounts a socket closed outside gnet (a detached one).
func (s *Server) socketClosed(client bool) {
	s.fds.Add(-1)
	if client {
		s.clients.Add(-1)
	}
}
