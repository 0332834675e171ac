package engine

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"tether/engine/config"
)

// Listener is one listening TCP socket (the address of a bind line) served
// by a Server, which accepts on it from a goroutine of its own and enrolls
// every connection on the least loaded loop.
type Listener struct {
	// Name is the bind address as configured. A reload matches inherited
	// sockets to bind lines by it.
	Name string
	// Data is the protocol layer's state for this listener (its frontend),
	// set before Serve and only read afterwards.
	Data any
	// Full, when set (before Serve), tells whether the listener's owner
	// takes no more connections for now (a frontend at its maxconn):
	// accepting pauses and new connections wait in the kernel's backlog,
	// as HAProxy leaves them. It is called from the accept goroutine.
	Full func() bool
	// KeepAlive, when set (before Serve), turns TCP keep-alive probes on
	// for accepted connections (option clitcpka), at the system's
	// intervals.
	KeepAlive bool
	// AcceptProxy, when set (before Serve), makes each connection start
	// with a PROXY protocol header (`accept-proxy`).
	AcceptProxy bool
	// ID names the listener in HAProxy's messages: its 1-based position
	// among its frontend's.
	ID string

	dual   bool              // an IPv6 socket taking IPv4 clients too, as IPv4-mapped addresses
	bind   config.ListenAddr // the address, to bind again on Resume
	sock   atomic.Pointer[net.TCPListener]
	closed atomic.Bool
	paused atomic.Bool // Pause closed the socket; Resume binds a new one

	mu sync.Mutex // serializes Pause, Resume and Close
}

// Listen returns a listener for the bind address a, as the configuration
// parsed it. If inherited holds a socket under a.Name (passed by the
// previous process, see ReceiveListeners) it is used and removed from the
// map; otherwise a new socket is bound to a.Addr. The IPv6 wildcard takes
// IPv4 connections too, unless a.V6Only. A unix address is refused with
// ErrBind (not supported yet).
func Listen(a config.ListenAddr, inherited map[string]*os.File) (*Listener, error) {
	dual := a.Network == config.NetTCP6 && a.Addr.Addr().IsUnspecified() && !a.V6Only
	if f := inherited[a.Name]; f != nil {
		delete(inherited, a.Name)
		fl, err := net.FileListener(f)
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		tl, ok := fl.(*net.TCPListener)
		if !ok {
			_ = fl.Close()
			return nil, ErrHandover
		}
		return newListener(a, tl, dual), nil
	}
	nl, err := bind(a, dual)
	if err != nil {
		return nil, err
	}
	return newListener(a, nl, dual), nil
}

func newListener(a config.ListenAddr, tl *net.TCPListener, dual bool) *Listener {
	ln := &Listener{Name: a.Name, dual: dual, bind: a}
	ln.sock.Store(tl)
	return ln
}

// bind binds a new socket to a's address.
func bind(a config.ListenAddr, dual bool) (*net.TCPListener, error) {
	if a.Network == config.NetUnix || !a.Addr.IsValid() {
		return nil, ErrBind
	}
	// No TCP keep-alive on accepted sockets (Go's default is 15 s), as
	// HAProxy without option clitcpka; it also spares two setsockopt calls
	// per accept.
	lc := net.ListenConfig{KeepAlive: -1}
	network := a.Network.String()
	if dual {
		network = "tcp" // Go leaves a "tcp" socket on [::] open to IPv4
	}
	nl, err := lc.Listen(context.Background(), network, a.Addr.String())
	if err != nil {
		return nil, err
	}
	return nl.(*net.TCPListener), nil
}

// Addr returns the bound address (with the actual port for ":0").
func (ln *Listener) Addr() net.Addr { return ln.sock.Load().Addr() }

// File returns a duplicate of the listening descriptor; the caller closes it.
func (ln *Listener) File() (*os.File, error) { return ln.sock.Load().File() }

// Down reports whether the listener does not listen: paused or closed.
func (ln *Listener) Down() bool { return ln.paused.Load() || ln.closed.Load() }

// Pause closes the listening socket, so that new connections are refused,
// and stops accepting until Resume; connections accepted before go on. It
// reports whether the listener was listening.
func (ln *Listener) Pause() bool {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if ln.Down() {
		return false
	}
	ln.paused.Store(true)
	_ = ln.sock.Load().Close()
	return true
}

// Resume binds a paused listener's address again and has s accept on it.
// It fails if the address cannot be bound (another socket took it
// meanwhile) or the listener is not paused.
func (s *Server) Resume(ln *Listener) error {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if !ln.paused.Load() || ln.closed.Load() {
		return ErrNotPaused
	}
	tl, err := bind(ln.bind, ln.dual)
	if err != nil {
		return err
	}
	ln.sock.Store(tl)
	ln.paused.Store(false)
	if s.started.Load() {
		s.startAccept(ln)
	}
	return nil
}

// Close stops accepting in this process. It closes this process's
// descriptor only: a process that received the socket keeps listening on
// it, and connections queued on it stay queued. It is idempotent.
func (ln *Listener) Close() error {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if !ln.closed.CompareAndSwap(false, true) || ln.paused.Load() {
		return nil
	}
	return ln.sock.Load().Close()
}

// acceptPause is how often a paused listener checks whether it may accept
// again.
const acceptPause = 5 * time.Millisecond

// waitRoom waits while ln's owner is full. It returns false when the
// listener closes or the server stops meanwhile.
func (s *Server) waitRoom(ln *Listener) bool {
	for ln.Full != nil && ln.Full() {
		select {
		case <-s.tickCtx.Done():
			return false
		case <-time.After(acceptPause):
		}
		if ln.Down() {
			return false
		}
	}
	return true
}

// startAccept runs accept on ln's current socket in a goroutine of its own,
// counted in s.accepts.
func (s *Server) startAccept(ln *Listener) {
	sock := ln.sock.Load()
	s.accepts.Add(1)
	go func() {
		defer s.accepts.Done()
		s.accept(ln, sock)
	}()
}

// accept runs on its own goroutine until ln is closed or paused (its socket
// sock closed) or the engine stops.
// Each connection goes to gnet's least loaded loop with ln as context. On a
// temporary failure (descriptor or memory exhaustion) it backs off instead
// of stopping, and over the descriptor budget it closes connections at once.
func (s *Server) accept(ln *Listener, sock *net.TCPListener) {
	results := make(chan (<-chan gnet.RegisteredResult), 256)
	reaped := make(chan struct{})
	go s.reap(results, reaped)
	defer func() {
		close(results)
		<-reaped
	}()
	var backoff time.Duration
	for {
		if !s.waitRoom(ln) {
			return
		}
		nc, err := sock.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ln.Down() {
				return
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			select {
			case <-s.tickCtx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		if !s.waitRoom(ln) { // the owner filled up while this one was accepted
			_ = nc.Close()
			return
		}
		if s.fds.Load() >= s.budget {
			_ = nc.Close()
			continue
		}
		if ln.KeepAlive {
			_ = nc.SetKeepAlive(true)
		}
		s.pending.Add(1)
		ctx := gnet.NewContext(gnet.NewNetConnContext(context.Background(), nc), ln)
		ch, err := s.eng.Register(ctx)
		if err != nil {
			s.pending.Add(-1)
			_ = nc.Close()
			if s.eng.Validate() != nil {
				return
			}
			continue
		}
		results <- ch
	}
}

// reap uncounts the accepted connections gnet failed to enroll (it closed
// them), in accept order, until results is closed or the server stops: a
// result may never come once the loops have stopped.
func (s *Server) reap(results <-chan (<-chan gnet.RegisteredResult), done chan<- struct{}) {
	defer close(done)
	for ch := range results {
		select {
		case res := <-ch:
			if res.Err != nil {
				s.pending.Add(-1)
			}
		case <-s.tickCtx.Done():
			return
		}
	}
}
