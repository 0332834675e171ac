package runtime

import (
	"errors"
	"net"
	"time"

	"tether/engine"
	"tether/engine/config"
)

// Sockets is the set of runtime API servers of one configuration, as
// ListenAll starts them. Close it on shutdown.
type Sockets struct {
	Servers []*Server // one per `stats socket` line, in configuration order
}

// ListenAll starts every `stats socket` of cfg, serving the runtime API of
// engine e: each socket at its level, a unix socket with its mode, owner
// and group, and every session with the `stats timeout`. A unix socket with
// `expose-fd listeners` answers `_getsocks` with the engine's listening
// sockets (engine.SendListeners), for a new process taking them over on
// reload. It also gives the engine the statistics pages of `stats uri`
// (StatsPage). On error the sockets already started are closed.
func ListenAll(cfg *config.Config, e *engine.Engine) (*Sockets, error) {
	ctl := EngineControl(e)
	e.SetStatsPage(StatsPage(e))
	ss := &Sockets{}
	for i := range cfg.Global.StatsSockets {
		spec := SpecFromConfig(&cfg.Global.StatsSockets[i], cfg.Global.StatsTimeout)
		if spec.ExposeFDListeners && spec.Addr.Network == config.NetUnix {
			spec.Handover = func(uc *net.UnixConn) error { return engine.SendListeners(uc, e.Listeners()) }
		}
		srv, err := Listen(spec, ctl)
		if err != nil {
			ss.Close()
			return nil, err
		}
		ss.Servers = append(ss.Servers, srv)
	}
	return ss, nil
}

// SpecFromConfig returns the description of a `stats socket` line, with
// HAProxy's defaults where the line sets nothing.
func SpecFromConfig(s *config.StatsSocket, timeout time.Duration) SocketSpec {
	return SocketSpec{
		Addr:              s.ListenAddr,
		Level:             levels[s.Level],
		Mode:              s.Mode,
		UID:               s.UID,
		GID:               s.GID,
		ExposeFDListeners: s.ExposeFD,
		Timeout:           timeout,
		MaxConn:           DefaultMaxConn,
	}
}

// levels maps the configuration's levels to the runtime's.
var levels = map[config.Level]Level{
	config.LevelUser:     LevelUser,
	config.LevelOperator: LevelOperator,
	config.LevelAdmin:    LevelAdmin,
}

// Close closes every socket and returns the first error.
func (ss *Sockets) Close() error {
	var errs []error
	for _, s := range ss.Servers {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
