package engine

import "errors"

// Errors of the transport layer. Callbacks receive them as the reason a
// connection attempt or a connection ended; they are compared with errors.Is.
var (
	// ErrConnectTimeout: a dial did not complete within its connect timeout.
	ErrConnectTimeout = errors.New("engine: connect timeout")
	// ErrNotRegistered: a socket was connected but its loop never opened it
	// (gnet reports success even when adding the socket to epoll failed).
	ErrNotRegistered = errors.New("engine: connection not registered with its loop")
	// ErrTooManyConns: the descriptor budget derived from RLIMIT_NOFILE is spent.
	ErrTooManyConns = errors.New("engine: too many connections")
	// ErrStopping: the server is stopping and takes no new work.
	ErrStopping = errors.New("engine: server stopping")
	// ErrBind: a bind address the engine cannot listen on (a unix socket).
	ErrBind = errors.New("engine: bad bind address")
	// ErrHandover: the listening sockets could not be passed between processes.
	ErrHandover = errors.New("engine: listener handover failed")
	// ErrTunnelTimeout: a tunnel saw no traffic either way for its timeout.
	ErrTunnelTimeout = errors.New("engine: tunnel timeout")
	// ErrTunnelServerFin: a tunnel whose client shut its side got nothing
	// from the server for the server's fin timeout (`timeout server-fin`),
	// which HAProxy counts as the server's.
	ErrTunnelServerFin = errors.New("engine: tunnel server-fin timeout")
	// ErrBusy: a connection cannot be detached while gnet still buffers
	// bytes for it (pending output, or input not yet consumed).
	ErrBusy = errors.New("engine: connection has buffered bytes")
	// ErrNotPaused: Resume on a listener that is not paused.
	ErrNotPaused = errors.New("engine: listener not paused")
	// ErrSourceBind: a server connection could not bind its `source`
	// address; it wraps the system's error.
	ErrSourceBind = errors.New("engine: cannot bind to source address before connect()")
)
