package engine

import (
	"tether/engine/config"
	"tether/persist"
)

// Config returns the configuration the engine was built from. It is never
// changed; the runtime API reads static attributes there (proxy ids,
// balancing algorithms, cookie names, check settings).
func (e *Engine) Config() *config.Config { return e.cfg }

// FrontendInfo is a copy of one frontend-capable proxy's counters for the
// runtime API's `show stat`.
type FrontendInfo struct {
	Name     string
	MaxConn  int    // frontend maxconn; the process's when unset, as HAProxy applies it
	Conns    int64  // client connections being served
	MaxConns int64  // highest Conns
	Status   string // OPEN, PAUSED (disable frontend) or STOP (shutdown frontend)
	Traffic  Traffic
}

// Frontends returns a copy of every frontend's counters, in configuration
// order.
func (e *Engine) Frontends() []FrontendInfo {
	out := make([]FrontendInfo, len(e.fronts))
	for i, fe := range e.fronts {
		out[i] = FrontendInfo{Name: fe.name, Status: frontStatus[fe.state.Load()], MaxConn: e.frontMaxConn(fe), Conns: fe.conns.Load(),
			MaxConns: fe.connsMax.Load(), Traffic: e.frontendTraffic(i)}
	}
	return out
}

// State is a server's state as the control methods take and report it
// (StateReady, StateDrain, StateMaint, StateDown), named here so the
// runtime can hold one without importing persist.
type State = persist.State

// frontMaxConn is fe's maxconn: its own, or the process's as it started
// (HAProxy gives every frontend without one the global maxconn of its
// start, which `set maxconn global` does not change).
func (e *Engine) frontMaxConn(fe *frontend) int {
	if m := fe.maxConn.Load(); m >= 0 {
		return int(m)
	}
	if s := e.server(); s != nil {
		return s.HardMaxConn()
	}
	return e.cfg.Global.MaxConn
}

// SetFrontendMaxConn sets the maxconn of frontend name, as `set maxconn
// frontend` does: 0 holds every new client back, and clients over a
// lowered limit stay.
func (e *Engine) SetFrontendMaxConn(name string, n int) error {
	if n < 0 {
		return ErrMaxConnRange
	}
	for _, fe := range e.fronts {
		if fe.name == name {
			fe.maxConn.Store(int64(n))
			return nil
		}
	}
	return ErrNoFrontend
}

// SetMaxConn sets the process's maxconn, as `set maxconn global` does (see
// Server.SetMaxConn).
func (e *Engine) SetMaxConn(n int) error { return e.transport().SetMaxConn(n) }

// fullConn is b's fullconn: its own, or as HAProxy computes it, a tenth
// (rounded up, at least 1) of the maxconn of the frontends that can send
// requests to it, each counted once.
func (e *Engine) fullConn(b *Backend) int {
	if n := b.proxy.FullConn; n > 0 {
		return n
	}
	sum := 0
	for _, fe := range e.fronts {
		reaches := fe.def == b
		for _, r := range fe.routes {
			reaches = reaches || r.be == b
		}
		if reaches {
			sum += e.frontMaxConn(fe)
		}
	}
	return max(1, (sum+9)/10)
}
