package engine

import (
	"fmt"
	"os"
	"strconv"

	"tether/engine/accesslog"
	"tether/engine/config"
)

// The runtime API's `disable frontend` pauses a frontend: its listening
// sockets close, so new clients are refused, and the clients it holds go
// on; `enable frontend` binds them again. `shutdown frontend` closes them
// for good. Each change is logged to the frontend's log targets and, as a
// warning, to standard error, in HAProxy 2.6's words.

// Frontend states, as show stat's status column words them.
const (
	feOpen int32 = iota
	fePaused
	feStopped
)

// frontStatus is the status column of each state.
var frontStatus = [...]string{feOpen: "OPEN", fePaused: "PAUSED", feStopped: "STOP"}

// changeFrontend runs change on frontend name under the control mutex,
// or returns stopped if the frontend was shut down.
func (e *Engine) changeFrontend(name string, stopped error, change func(fe *frontend) error) error {
	for _, fe := range e.fronts {
		if fe.name == name {
			e.mu.Lock()
			defer e.mu.Unlock()
			if fe.state.Load() == feStopped {
				return stopped
			}
			return change(fe)
		}
	}
	return ErrNoFrontend
}

// PauseFrontend closes the listening sockets of frontend name until
// ResumeFrontend, as `disable frontend` does.
func (e *Engine) PauseFrontend(name string) error {
	return e.changeFrontend(name, ErrShutNoDisable, func(fe *frontend) error {
		paused := false
		for _, ln := range fe.lns {
			paused = ln.Pause() || paused
		}
		if !paused {
			return ErrAllDisabled
		}
		fe.state.Store(fePaused)
		e.proxyEvent(fe, "Paused "+capName(fe.proxy)+" "+fe.name+".")
		return nil
	})
}

// ResumeFrontend binds the paused listening sockets of frontend name again,
// as `enable frontend` does. It fails with ErrFrontendResume when an
// address cannot be bound (another socket took it meanwhile).
func (e *Engine) ResumeFrontend(name string) error {
	s := e.transport()
	return e.changeFrontend(name, ErrShutNoEnable, func(fe *frontend) error {
		resumed, failed := false, false
		for _, ln := range fe.lns {
			if !ln.paused.Load() {
				continue
			}
			if err := s.Resume(ln); err != nil {
				fmt.Fprintf(os.Stderr, "[ALERT] cannot resume %s %s's listener %s: %v\n", capName(fe.proxy), fe.name, ln.Name, err)
				failed = true
				continue
			}
			resumed = true
		}
		switch {
		case failed:
			return ErrFrontendResume
		case !resumed:
			return ErrAllEnabled
		}
		fe.state.Store(feOpen)
		e.proxyEvent(fe, "Resumed "+capName(fe.proxy)+" "+fe.name+".")
		return nil
	})
}

// StopFrontend closes the listening sockets of frontend name for good, as
// `shutdown frontend` does; the clients it holds go on.
func (e *Engine) StopFrontend(name string) error {
	return e.changeFrontend(name, ErrFrontendShut, func(fe *frontend) error {
		for _, ln := range fe.lns {
			_ = ln.Close()
		}
		fe.state.Store(feStopped)
		var beConns int64
		if b := e.byName[fe.name]; b != nil && fe.proxy.Cap&config.CapBackend != 0 {
			beConns = b.total.Load()
		}
		e.proxyEvent(fe, "Proxy "+fe.name+" stopped (cumulated conns: FE: "+
			strconv.FormatInt(e.frontendTraffic(fe.index).Conns, 10)+", BE: "+strconv.FormatInt(beConns, 10)+").")
		return nil
	})
}

// proxyEvent logs a change of a frontend to its log targets and, as a
// warning, to standard error.
func (e *Engine) proxyEvent(fe *frontend, line string) {
	fmt.Fprintln(os.Stderr, "[WARNING] "+line)
	if fe.log != nil {
		fe.log.LogAt(accesslog.LevelWarning, []byte(line))
	}
}

// capName is how HAProxy names a proxy by its capabilities.
func capName(p *config.Proxy) string {
	switch {
	case p.Cap&config.CapFrontend != 0 && p.Cap&config.CapBackend != 0:
		return "proxy"
	case p.Cap&config.CapFrontend != 0:
		return "frontend"
	}
	return "backend"
}
