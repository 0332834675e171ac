package runtime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"tether/engine/config"
)

// Defaults of a stats socket, as in HAProxy.
const (
	DefaultTimeout = 10 * time.Second // `stats timeout`
	DefaultMaxConn = 10               // `stats maxconn`
)

// SocketSpec describes one `stats socket` listener. Build it with
// NewSocketSpec or SpecFromConfig, which set the defaults, then adjust the
// fields.
type SocketSpec struct {
	Addr config.ListenAddr // where to listen, as engine/config parsed it

	Level Level // access level of the socket's sessions (`level`)

	Mode os.FileMode // unix: permission bits of the socket file (`mode`); 0 leaves them as created
	UID  int         // unix: owner to give the socket file (`user`, `uid`); -1 leaves it
	GID  int         // unix: group to give the socket file (`group`, `gid`); -1 leaves it

	// ExposeFDListeners records `expose-fd listeners`: a new process may
	// fetch the listening sockets over this socket on reload.
	ExposeFDListeners bool
	// Handover sends the listening sockets of the process over a unix
	// connection when a new process asks with `_getsocks` on a socket
	// with ExposeFDListeners; nil refuses (the connection just closes).
	Handover func(*net.UnixConn) error

	Timeout time.Duration // idle timeout of a session (`stats timeout`)
	MaxConn int           // sessions served at once (`stats maxconn`); more wait in the backlog
}

// ErrAddr is wrapped by the error for a socket address that NewSocketSpec
// or ParseTarget does not understand. It is config.ErrAddr: the
// configuration's parser reads these addresses.
var ErrAddr = config.ErrAddr

// NewSocketSpec returns the description of a socket at addr, written as on
// a `stats socket` line (config.ParseListenAddr, port 0 for any free port),
// with HAProxy's defaults: level operator, owner unchanged, a 10 s idle
// timeout and 10 sessions at once.
func NewSocketSpec(addr string) (SocketSpec, error) {
	a, err := config.ParseListenAddr(addr)
	if err != nil {
		return SocketSpec{}, err
	}
	return SocketSpec{
		Addr:    a,
		Level:   LevelOperator,
		UID:     -1,
		GID:     -1,
		Timeout: DefaultTimeout,
		MaxConn: DefaultMaxConn,
	}, nil
}

// Server serves the runtime API on one listening socket. It is safe for
// concurrent use.
type Server struct {
	spec  SocketSpec
	ctl   Control
	ln    net.Listener
	slots chan struct{} // one token per session being served
	inode uint64        // unix: identity of the socket file we created

	mu      sync.Mutex
	closing bool
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

// Listen opens the socket described by spec and serves it in the
// background until Close. A unix socket is created under a temporary name,
// given its mode and owner, then renamed over path, so it is never reachable
// with the wrong permissions and a stale file is replaced.
func Listen(spec SocketSpec, ctl Control) (*Server, error) {
	if spec.Level == 0 {
		spec.Level = LevelOperator
	}
	if spec.Timeout <= 0 {
		spec.Timeout = DefaultTimeout
	}
	if spec.MaxConn <= 0 {
		spec.MaxConn = DefaultMaxConn
	}
	s := &Server{
		spec:  spec,
		ctl:   ctl,
		slots: make(chan struct{}, spec.MaxConn),
		conns: make(map[net.Conn]struct{}),
	}
	var err error
	if spec.Addr.Network == config.NetUnix {
		s.ln, s.inode, err = listenUnix(spec)
	} else {
		lc := net.ListenConfig{Control: reusePort}
		s.ln, err = lc.Listen(context.Background(), spec.Addr.Network.String(), spec.Addr.Addr.String())
	}
	if err != nil {
		return nil, fmt.Errorf("runtime: stats socket %s: %w", spec.Addr.Name, err)
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// reusePort sets SO_REUSEPORT on a TCP socket before it binds, as HAProxy
// does on its listeners: during a reload the new process binds the stats
// sockets while the old one still listens there.
func reusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// listenUnix creates the unix socket of spec and returns the identity of its
// file.
func listenUnix(spec SocketSpec) (net.Listener, uint64, error) {
	path := spec.Addr.Path
	tmp := path + "." + strconv.Itoa(os.Getpid()) + ".tmp"
	_ = os.Remove(tmp)
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, 0, err
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	fail := func(err error) (net.Listener, uint64, error) {
		ln.Close()
		os.Remove(tmp)
		return nil, 0, err
	}
	if spec.Mode != 0 {
		if err := os.Chmod(tmp, spec.Mode.Perm()); err != nil {
			return fail(err)
		}
	}
	if spec.UID >= 0 || spec.GID >= 0 {
		if err := os.Chown(tmp, spec.UID, spec.GID); err != nil {
			return fail(err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	ino, err := fileID(path)
	if err != nil {
		return fail(err)
	}
	return ln, ino, nil
}

// Addr returns the address the socket listens on (the chosen port when the
// spec asked for port 0).
func (s *Server) Addr() net.Addr {
	if s.spec.Addr.Network == config.NetUnix {
		return &net.UnixAddr{Name: s.spec.Addr.Path, Net: "unix"}
	}
	return s.ln.Addr()
}

// Spec returns the description the server was started with, defaults
// applied.
func (s *Server) Spec() SocketSpec { return s.spec }

// Close stops accepting connections, lets every session finish the command
// it is running and send its reply, ends sessions waiting for input, and
// returns once all are gone. A unix socket file is removed unless another
// process has replaced it since.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	for c := range s.conns {
		c.SetReadDeadline(time.Now())
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	if s.spec.Addr.Network == config.NetUnix {
		if ino, statErr := fileID(s.spec.Addr.Path); statErr == nil && ino == s.inode {
			os.Remove(s.spec.Addr.Path)
		}
	}
	return err
}

// accept runs until the listener closes, serving each connection on its own
// goroutine, at most MaxConn at once.
func (s *Server) accept() {
	defer s.wg.Done()
	for {
		s.slots <- struct{}{}
		c, err := s.ln.Accept()
		if err != nil {
			<-s.slots
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // fd exhaustion and the like: let it pass
			continue
		}
		if !s.track(c) {
			c.Close()
			<-s.slots
			return
		}
		go s.serve(c)
	}
}

// track registers a connection; it fails once Close has begun.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) serve(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		<-s.slots
		s.wg.Done()
	}()
	sess := &session{
		srv:   s,
		conn:  c,
		ctl:   s.ctl,
		table: commandTable,
		level: s.spec.Level,
		in:    make([]byte, maxCommand),
	}
	sess.serve()
}

// armRead sets the idle deadline d before a read. It returns false once
// Close has begun: the session then ends instead of waiting for input.
func (s *Server) armRead(c net.Conn, d time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	c.SetReadDeadline(time.Now().Add(d))
	return true
}

// armWrite bounds the time a reply may take to leave by d.
func (s *Server) armWrite(c net.Conn, d time.Duration) {
	c.SetWriteDeadline(time.Now().Add(d))
}
