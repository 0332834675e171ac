package engine

import (
	"time"

	"tether/engine/balance"
)

// Servers with a `minconn` below their maxconn take at most as many
// connections as the backend's load allows (balance.Load, HAProxy's
// srv_dynamic_maxconn): the balancing Table, the queue and the slot taken
// before a connection all read the limit from Table.MaxConn. The backend's
// fullconn is the one `show stat` reports as slim, set when the engine
// starts serving. During a slow start, the slow start's ramp of maxconn
// applies alone (HAProxy ramps the dynamic maxconn).

// minConn returns the minconn the balancing Table gets for s: its
// configured one, or 0 for a static maxconn (no minconn, one not below
// the configured maxconn, as `set maxconn server` then keeps the two
// together, or a slow start in progress).
func (s *server) minConn() int {
	if s.cfg == nil || s.cfg.MinConn >= s.cfg.MaxConn || s.limit != s.maxConn {
		return 0
	}
	return s.cfg.MinConn
}

// SetServerMaxConn sets a server's maxconn (0: no limit), as `set maxconn
// server` does: a server with a minconn below its configured maxconn keeps
// a limit that follows the backend's load, up to the new maxconn. Requests
// waiting for it take the room a raise makes at the queue's next look.
func (e *Engine) SetServerMaxConn(backend, srv string, n int) error {
	b := e.byName[backend]
	if b == nil {
		return ErrNoBackend
	}
	dynamic := balance.Dynamic(b.proxy.Balance)
	return e.changeServer(backend, srv, cause{}, func(s *server) {
		s.maxConn = n
		s.warmAt(time.Now(), dynamic)
	})
}

// followLoad sets every backend's fullconn for dynamic maxconns.
func (e *Engine) followLoad() {
	for _, b := range e.backends {
		b.load.SetFullConn(e.fullConn(b))
	}
}
