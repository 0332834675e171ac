package engine

import (
	"strconv"

	"tether/engine/config"
)

// A server with `observe` and `check` has its traffic count towards its
// health, as HAProxy 2.6's health_adjust does: each request reports what
// it saw of the server (observed); an error adds one to the server's run
// of errors, a success clears it, and ErrorLimit errors in a row apply
// OnError at once, as a check would (status HANA), the request that ended
// the run still counted on the server, then tell the server's checker to
// check again at fastinter. Reporting costs the request a branch, and an
// atomic operation on the server's shared counter only when observed; a
// run that reaches its limit takes the control mutex on the loop.

// observed is what a request saw of its server (HAProxy's HANA_STATUS_*).
type observed uint8

const (
	obsConnected     observed = iota // a connection was established
	obsConnectFailed                 // a connection attempt failed
	obsGoodStatus                    // a response status below 500, or 501 or 505
	obsBadStatus                     // any other 5xx status
	obsBadHead                       // an invalid response head
	obsBadResponse                   // an invalid response
	obsReadError                     // the connection failed before the response head
	obsReadTimeout                   // the server timeout struck before the response head
	obsBrokenPipe                    // the server closed before the response head
)

// observations are, by observed, their words in the messages and what
// they mean under layer4 and layer7 observation: 0 nothing, 1 an error,
// 2 a success.
var observations = [...]struct {
	desc  string
	layer [2]uint8
}{
	obsConnected:     {"L4 successful connection", [2]uint8{2, 0}},
	obsConnectFailed: {"L4 unsuccessful connection", [2]uint8{1, 1}},
	obsGoodStatus:    {"Correct http response", [2]uint8{0, 2}},
	obsBadStatus:     {"Wrong http response", [2]uint8{0, 1}},
	obsBadHead:       {"Invalid http response (headers)", [2]uint8{0, 1}},
	obsBadResponse:   {"Invalid http response", [2]uint8{0, 1}},
	obsReadError:     {"Read error (http)", [2]uint8{0, 1}},
	obsReadTimeout:   {"Read timeout (http)", [2]uint8{0, 1}},
	obsBrokenPipe:    {"Close from server (http)", [2]uint8{0, 1}},
}

// statusObserved is what a response status says of its server: 501 and
// 505 answer the client's request, not the server's health.
func statusObserved(status int) observed {
	if status < 500 || status == 501 || status == 505 {
		return obsGoodStatus
	}
	return obsBadStatus
}

// observe reports what the request saw of its server s.
func (cc *clientConn) observe(s *server, o observed) {
	mode := s.cfg.Observe
	if mode == config.ObserveNone || s.live.hurry == nil {
		return
	}
	errs := &s.live.errors
	switch observations[o].layer[mode-1] {
	case 2:
		if errs.Load() != 0 {
			errs.Store(0)
		}
	case 1:
		n := errs.Add(1)
		if n < int32(s.cfg.ErrorLimit) || !errs.CompareAndSwap(n, 0) {
			return
		}
		cc.ls.e.healthAdjust(cc.be, s.live, n, o)
		select {
		case s.live.hurry <- struct{}{}:
		default: // the checker has not yet taken the last one
		}
	}
}

// healthAdjust applies a run of errors to the server of b with live, as
// HAProxy 2.6 does once error-limit is reached: nothing but an earlier
// check for fastinter; for fail-check a failed check (status HANA) with
// the run in its details; for sudden-death the same from at most one
// failure above down; for mark-down the same from the last failure above
// down.
func (e *Engine) healthAdjust(b *Backend, live *serverLive, errors int32, last observed) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sn := b.snap.Load()
	i := sn.indexOf(live)
	if i < 0 {
		return
	}
	s := sn.servers[i]
	cond := s.cond
	switch s.cfg.OnError {
	case config.OnErrorFastinter:
		e.countHana(live)
		return
	case config.OnErrorSuddenDeath:
		if cond.health > cond.rise {
			cond.health = cond.rise + 1
		}
	case config.OnErrorMarkDown:
		cond.health = cond.rise
	}
	out := checkOutcome{status: CheckHANA,
		desc: "Detected " + strconv.Itoa(int(errors)) + " consecutive errors, last one was: " + observations[last].desc}
	e.applyCheck(b, sn, i, cond, out, -1)
	e.countHana(live)
}

// countHana counts an adjustment in the server's report (hanafail).
func (e *Engine) countHana(live *serverLive) {
	r := *live.checkReport()
	r.Hana++
	live.report.Store(&r)
}
