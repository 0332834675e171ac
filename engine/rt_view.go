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
	MaxConn  int   // frontend maxconn, 0 when unset
	Conns    int64 // client connections being served
	MaxConns int64 // highest Conns
	Traffic  Traffic
}

// Frontends returns a copy of every frontend's counters, in configuration
// order.
func (e *Engine) Frontends() []FrontendInfo {
	out := make([]FrontendInfo, len(e.fronts))
	for i, fe := range e.fronts {
		out[i] = FrontendInfo{Name: fe.name, MaxConn: fe.proxy.MaxConn, Conns: fe.conns.Load(),
			MaxConns: fe.connsMax.Load(), Traffic: e.frontendTraffic(i)}
	}
	return out
}

// State is a server's state as the control methods take and report it
// (StateReady, StateDrain, StateMaint, StateDown), named here so the
// runtime can hold one without importing persist.
type State = persist.State
