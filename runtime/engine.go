package runtime

import (
	"errors"
	"net/netip"
	"strings"

	"tether/engine"
	"tether/engine/config"
)

// Errors of the engine adapter whose text is the reply line.
var (
	errPortMap  = errors.New("tether does not support port maps.")
	errBadWords = errors.New("Invalid character in server arguments.")
)

// errNoDynamicCookie is HAProxy's reply to `add server ... cookie`.
var errNoDynamicCookie = errors.New("'cookie' option is not accepted for dynamic server")

// engineControl is Control over a tether engine, a thin adapter: names and
// ids are resolved by the runtime from Backends, and every change goes
// through the engine's control methods, which keep each server's
// administrative flags, operational state and check state, build a new
// snapshot and swap it in before returning.
type engineControl struct {
	e *engine.Engine
}

// EngineControl returns the Control of a tether engine. It is safe for
// concurrent use.
func EngineControl(e *engine.Engine) Control { return &engineControl{e: e} }

// proxy returns the configuration section of a backend, or nil.
func (c *engineControl) proxy(name string) *config.Proxy { return c.e.Config().Backend(name) }

func (c *engineControl) SetServerAdmin(backend, server string, st AdminState) error {
	return c.e.SetServerAdmin(backend, server, st)
}

func (c *engineControl) SetServerHealth(backend, server string, h Health) error {
	return c.e.SetServerHealth(backend, server, h)
}

func (c *engineControl) SetCheckTarget(backend, server string, addr netip.Addr, setAddr bool, port int, setPort bool) error {
	return c.e.SetCheckTarget(backend, server, addr, setAddr, port, setPort)
}

func (c *engineControl) SetHealthCheck(backend, server string, enabled bool) error {
	return c.e.SetHealthCheck(backend, server, enabled)
}

func (c *engineControl) SetAgentCheck(backend, server string, enabled bool) error {
	return c.e.SetAgentCheck(backend, server, enabled)
}

func (c *engineControl) SetAgentHealth(backend, server string, up bool) error {
	return c.e.SetAgentHealth(backend, server, up)
}

func (c *engineControl) SetAgentTarget(backend, server string, addr netip.Addr, setAddr bool, port int, setPort bool) error {
	return c.e.SetAgentTarget(backend, server, addr, setAddr, port, setPort)
}

func (c *engineControl) SetAgentSend(backend, server, send string) error {
	return c.e.SetAgentSend(backend, server, send)
}

func (c *engineControl) ShutdownSessions(backend, server string) error {
	return c.e.ShutdownServerSessions(backend, server)
}

func (c *engineControl) PauseFrontend(fe string) error  { return c.e.PauseFrontend(fe) }
func (c *engineControl) ResumeFrontend(fe string) error { return c.e.ResumeFrontend(fe) }
func (c *engineControl) StopFrontend(fe string) error   { return c.e.StopFrontend(fe) }

func (c *engineControl) ClearCounters(all bool) { c.e.ClearCounters(all) }

func (c *engineControl) SetServerMaxConn(backend, server string, n int) error {
	return c.e.SetServerMaxConn(backend, server, n)
}

func (c *engineControl) SetFrontendMaxConn(frontend string, n int) error {
	return c.e.SetFrontendMaxConn(frontend, n)
}

func (c *engineControl) SetGlobalMaxConn(n int) error { return c.e.SetMaxConn(n) }

func (c *engineControl) SetServerWeight(backend, server string, weight int) error {
	return c.e.SetServerWeight(backend, server, weight)
}

func (c *engineControl) SetServerAddr(backend, server string, ch AddrChange) error {
	if ch.PortMap {
		return errPortMap
	}
	return c.e.SetServerAddr(backend, server, ch.Addr, ch.SetAddr, uint16(ch.Port), ch.SetPort)
}

func (c *engineControl) SetDynamicCookie(backend string, enabled bool) error {
	return c.e.SetDynamicCookie(backend, enabled)
}

func (c *engineControl) SetDynamicCookieKey(backend, key string) error {
	return c.e.SetDynamicCookieKey(backend, key)
}

// AddServer parses the server line with the configuration parser (without
// default-server settings, as HAProxy does for dynamic servers) and adds the
// server in maintenance.
func (c *engineControl) AddServer(backend, server string, words []string) error {
	track := ""
	var rest []string
	for i := 0; i < len(words); i++ {
		switch {
		case words[i] == "cookie":
			return errNoDynamicCookie
		case words[i] == "track" && i+1 < len(words):
			track = words[i+1]
			i++
		default:
			rest = append(rest, words[i])
		}
	}
	cs, err := parseServerLine(backend, server, rest)
	if err != nil {
		return err
	}
	if track != "" {
		if err := c.track(backend, cs, track); err != nil {
			return err
		}
	}
	return c.e.AddServer(backend, cs)
}

// track links an added server to the server arg names, "[<proxy>/]<server>",
// as the configuration's `track` does; a server added at run time cannot
// be tracked, as in HAProxy.
func (c *engineControl) track(backend string, cs *config.Server, arg string) error {
	cfg := c.e.Config()
	px := cfg.Backend(backend)
	tb, name := backend, arg
	if i := strings.LastIndexByte(arg, '/'); i >= 0 {
		tb, name = arg[:i], arg[i+1:]
	}
	if p := cfg.Backend(tb); p != nil && p.Server(name) == nil {
		for _, bv := range c.Backends() {
			for _, sv := range bv.Servers {
				if bv.Name == tb && sv.Name == name {
					return errors.New("unable to use " + tb + "/" + name + " for tracking as it is a dynamic server.")
				}
			}
		}
	}
	if msg := cfg.Track(px, cs, arg); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// parseServerLine reads the words of a `server` line after its name with
// the configuration parser. Its error is the parser's first alert message.
func parseServerLine(backend, server string, words []string) (*config.Server, error) {
	var b strings.Builder
	b.WriteString("backend " + quoteWord(backend) + "\n    mode http\n    server " + quoteWord(server))
	for _, w := range words {
		if strings.ContainsAny(w, "\r\n") {
			return nil, errBadWords
		}
		b.WriteString(" " + quoteWord(w))
	}
	b.WriteString("\n")
	cfg, err := config.Parse(config.File{Name: "add server", Data: []byte(b.String())})
	var cerr *config.Error
	switch {
	case errors.As(err, &cerr):
		for _, d := range cerr.Diags {
			if d.Severity == config.Alert {
				return nil, errors.New(d.Message)
			}
		}
		return nil, err
	case err != nil:
		return nil, err
	}
	p := cfg.Backend(backend)
	if p == nil || len(p.Servers) != 1 {
		return nil, errBadWords
	}
	cs := p.Servers[0]
	if !cs.IDSet {
		cs.ID = 0 // the engine gives it the first free id
	}
	return cs, nil
}

// quoteWord protects a word for the configuration lexer: single quotes
// keep everything, and a single quote is closed, escaped and reopened.
func quoteWord(w string) string {
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

func (c *engineControl) DelServer(backend, server string) error {
	return c.e.DelServer(backend, server)
}
