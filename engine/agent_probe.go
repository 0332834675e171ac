package engine

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"os"
	"time"
)

// agentOutcome is what one agent check found: a reply line, a line cut
// short, or a failure to reach the agent (status and desc).
type agentOutcome struct {
	status     CheckStatus
	desc       string
	line       bool // reply holds the agent's line
	reply      agentReply
	incomplete bool // the agent closed before ending its line
}

// probeAgent runs one agent check against addr, connecting as via says,
// within inter (and the backend's timeouts, as a health check).
func (cs *checkSpec) probeAgent(ctx context.Context, addr netip.AddrPort, via checkConn, send string, inter time.Duration) agentOutcome {
	start := time.Now()
	deadline := start.Add(inter)
	connectBy := deadline
	if cs.check > 0 && cs.connect > 0 && cs.connect < inter {
		connectBy = start.Add(cs.connect)
	}
	c, err := dialCheck(ctx, addr, via.source, connectBy)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
			return agentOutcome{status: CheckL4Tout}
		}
		return agentOutcome{status: CheckL4Con, desc: errnoText(err)}
	}
	defer func() {
		_ = c.SetLinger(0)
		_ = c.Close()
	}()
	if cs.check > 0 {
		deadline = time.Now().Add(cs.check)
	}
	_ = c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if send != "" {
		if _, err := c.Write([]byte(send)); err != nil {
			return agentOutcome{status: CheckSockErr, desc: errnoText(err)}
		}
	}
	buf := make([]byte, 0, checkBufSize)
	for {
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if rep, ok := parseAgentReply(buf); ok {
			return agentOutcome{line: true, reply: rep}
		}
		switch {
		case err == nil && len(buf) < cap(buf):
			continue
		case errors.Is(err, os.ErrDeadlineExceeded):
			return agentOutcome{status: CheckL7Tout}
		case len(buf) > 0:
			return agentOutcome{incomplete: true}
		case err == io.EOF:
			return agentOutcome{status: CheckL7Rsp, desc: "TCPCHK got an empty response at step 2"}
		}
		return agentOutcome{status: CheckSockErr, desc: errnoText(err)}
	}
}

// runAgent runs the agent checks of the checker's server until ctx is
// done, the first after first, then every agent-inter from each one's end.
func (c *checker) runAgent(ctx context.Context, first time.Duration) {
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s := c.current()
		if s == nil {
			return
		}
		inter := agentInter(s)
		if s.cond.agent.on {
			start := time.Now()
			c.e.agentStarts(c.live)
			out := c.spec.probeAgent(ctx, s.cond.agent.target(s), checkConnOf(c.b, s), s.cond.agent.send, inter)
			if ctx.Err() != nil {
				return
			}
			c.e.agentDone(c.b, c.live, out, time.Since(start).Truncate(time.Millisecond))
		}
		t.Reset(spread(inter, c.e.cfg.Global.SpreadChecks))
	}
}
