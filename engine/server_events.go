package engine

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"tether/engine/accesslog"
	"tether/persist"
)

// A change of a server's condition is logged as HAProxy 2.6 logs it
// (srv_update_status): an operational change (DOWN, stopping, UP) with
// what caused it, then an administrative one (maintenance, drain), each
// line to the backend's log targets and to standard error, and a line
// when the backend is left with no usable server.

// cause is what changed a server's condition.
type cause struct {
	report *CheckReport // the health check that did; nil for none
	reason string       // otherwise, in words: "changed from CLI"; "" for none
	admin  string       // why maintenance began, in words: "DNS NX status"; "" for none
	host   string       // the name the server resolves, for resolution messages
	via    string       // the tracked server passing its change on, "be/srv"; "" for none
}

// logChange logs the change of server i between two snapshots of b, and
// counts the server's and the backend's falls.
func (b *Backend) logChange(prev, next *snapshot, i int, why cause) {
	was, now := prev.servers[i], next.servers[i]
	if was.cond == now.cond && was.weight == now.weight {
		return
	}
	pa, pb := prev.usable()
	wasMaint, inMaint := was.cond.admin&AdminMaintFlags != 0, now.cond.admin&AdminMaintFlags != 0
	if !wasMaint && !inMaint && now.cond.op != was.cond.op {
		b.logOpChange(next, i, was, why)
	}
	head := b.serverHead(now)
	because := ""
	if why.admin != "" {
		because = " (" + why.admin + ")"
	}
	if why.via != "" {
		because += " via " + why.via
	}
	switch {
	case !wasMaint && inMaint && was.cond.op == OpStopped:
		b.event(accesslog.LevelNotice, head+" was DOWN and now enters maintenance"+because+".")
	case !wasMaint && inMaint:
		level := accesslog.LevelAlert
		if was.cond.op == OpStopping || was.draining() {
			level = accesslog.LevelNotice
		}
		b.event(level, head+" is going DOWN for maintenance"+because+b.counts(next, i, false)+".")
		now.live.countDown()
	case wasMaint && !inMaint:
		b.event(accesslog.LevelNotice, head+b.leftMaint(was, now, why.host))
	case wasMaint && was.cond.admin&AdminFMaint != 0 && now.cond.admin&AdminFMaint == 0:
		b.event(accesslog.LevelNotice, head+" is leaving forced maintenance but remains in maintenance.")
	case wasMaint && was.cond.admin&AdminRMaint != 0 && now.cond.admin&AdminRMaint == 0:
		b.event(accesslog.LevelNotice, head+" ('"+why.host+"') resolves again but remains in maintenance.")
	case wasMaint && was.cond.admin&AdminIMaint != 0 && now.cond.admin&AdminIMaint == 0:
		b.event(accesslog.LevelNotice, head+" remains in forced maintenance.")
	}
	// The drain part: on leaving maintenance the drain flags are already
	// in place, and HAProxy reports that a drained server stays so on
	// every update (a change of state, flags or weight).
	updated := wasMaint || now.cond.op != was.cond.op || now.cond.admin != was.cond.admin || now.weight != was.weight
	switch {
	case inMaint:
	case !wasMaint && !was.draining() && now.draining():
		b.event(accesslog.LevelNotice, head+" enters drain state"+because+b.counts(next, i, false)+".")
	case !wasMaint && was.draining() && !now.draining():
		b.event(accesslog.LevelNotice, head+" is "+upDown(now)+" (leaving forced drain).")
	case now.draining() && updated && now.cond.admin&AdminFDrain != 0:
		b.event(accesslog.LevelNotice, head+" remains in forced drain mode.")
	case now.draining() && updated:
		via := ""
		if t := now.trackName(); t != "" {
			via = " via " + t
		}
		b.event(accesslog.LevelNotice, head+" is leaving forced drain but remains in drain mode"+via+".")
	}
	a, k := next.usable()
	if pa+pb == 0 && a+k > 0 {
		now := time.Now()
		b.downFor.Add(int64(wholeSeconds(now) - wholeSeconds(time.Unix(0, b.changed.Load()))))
		b.changed.Store(now.UnixNano())
	}
	if pa+pb > 0 && a+k == 0 {
		b.changed.Store(time.Now().UnixNano())
		b.downs.Add(1)
		fmt.Fprintln(os.Stderr, "[ALERT] backend '"+b.Name+"' has no server available!")
		if b.events != nil {
			b.events.LogAt(accesslog.LevelEmerg, []byte("backend "+b.Name+" has no server available!"))
		}
	}
}

// logOpChange logs an operational change outside maintenance: the server
// went DOWN, stopping (NOLB) or UP.
func (b *Backend) logOpChange(next *snapshot, i int, was *server, why cause) {
	s := next.servers[i]
	var msg strings.Builder
	msg.WriteString(b.serverHead(s) + " is ")
	level := accesslog.LevelNotice
	switch s.cond.op {
	case OpStopped:
		msg.WriteString("DOWN")
		if was.cond.op != OpStopping && !was.draining() {
			level = accesslog.LevelAlert
		}
		s.live.countDown()
	case OpStopping:
		msg.WriteString("stopping")
	default:
		msg.WriteString("UP")
	}
	if r := why.report; r != nil {
		msg.WriteString(checkWords(r))
	} else if why.reason != "" {
		msg.WriteString(", " + why.reason)
	} else if why.via != "" {
		msg.WriteString(" via " + why.via)
	}
	msg.WriteString(b.counts(next, i, s.cond.op == OpRunning || s.cond.op == OpStarting) + ".")
	b.event(level, msg.String())
}

// checkWords tells what a check found: ", reason: ..., code: ..., info:
// "...", check duration: Nms".
func checkWords(r *CheckReport) string {
	w := ", reason: " + r.Status.Description()
	if r.Status.HasCode() {
		w += ", code: " + strconv.Itoa(r.Code)
	}
	if r.Desc != "" {
		w += `, info: "` + asciiEncode(r.Desc) + `"`
	}
	if r.Duration < 0 {
		return w
	}
	return w + ", check duration: " + strconv.FormatInt(r.Duration.Milliseconds(), 10) + "ms"
}

// logCheck logs one check of s under `option log-health-checks`, a
// "Health" or an "Agent" one: its outcome and where the counter c stands.
func (b *Backend) logCheck(kind string, s *server, r *CheckReport, c *condition) {
	outcome := "failed"
	switch r.Status.Result() {
	case CheckResultPassed:
		outcome = "succeeded"
	case CheckResultCondPass:
		outcome = "conditionally succeeded"
	}
	backup := ""
	if s.backup {
		backup = "backup "
	}
	var status string
	switch {
	case c.health < c.rise:
		status = strconv.Itoa(c.health) + "/" + strconv.Itoa(c.rise) + " DOWN"
	case s.weight == 0:
		status = strconv.Itoa(c.health-c.rise+1) + "/" + strconv.Itoa(c.fall) + " DRAIN"
	default:
		status = strconv.Itoa(c.health-c.rise+1) + "/" + strconv.Itoa(c.fall) + " UP"
	}
	b.event(accesslog.LevelNotice, kind+" check for "+backup+"server "+b.Name+"/"+s.name+" "+outcome+
		checkWords(r)+", status: "+status+".")
}

// serverHead starts a message about s: "Server be/name", "Backup Server
// be/name" for a backup.
func (b *Backend) serverHead(s *server) string {
	if s.backup {
		return "Backup Server " + b.Name + "/" + s.name
	}
	return "Server " + b.Name + "/" + s.name
}

// counts ends a message with the backend's usable servers and the
// server's sessions and queue, "left" after a fall, "online" otherwise,
// with the waiting requests the change moves, as HAProxy counts them when
// it moves them: a server that comes up (up) takes those of the backend's
// queue it has room for; one that stops, stops taking new traffic or
// enters maintenance gives those of its own queue back to balancing under
// `option redispatch` (without `option persist`). tether's loops move them
// within their next look at their queues.
func (b *Backend) counts(next *snapshot, i int, up bool) string {
	s := next.servers[i]
	act, bck := next.usable()
	onBackup := ""
	if bck > 0 && act == 0 {
		onBackup = " Running on backup."
	}
	queued := next.counters.Queued(i) // the server's own queue, after the move
	moved := 0
	switch o := b.proxy.Options; {
	case up:
		moved = b.takesFromQueue(next, i)
	case o.Redispatch && !o.Persist:
		moved, queued = queued, 0
	}
	if s.cond.op == OpStopped {
		return fmt.Sprintf(". %d active and %d backup servers left.%s %d sessions active, %d requeued, %d remaining in queue",
			act, bck, onBackup, s.live.cur.Load(), moved, queued)
	}
	return fmt.Sprintf(". %d active and %d backup servers online.%s %d sessions requeued, %d total in queue",
		act, bck, onBackup, moved, queued)
}

// takesFromQueue is how many of the requests waiting in the backend's
// queue server i of next can take now: as many as its maxconn leaves room
// for, none for a backup server while active ones run (or, without
// `option allbackups`, for any backup but the first usable one).
func (b *Backend) takesFromQueue(next *snapshot, i int) int {
	s := next.servers[i]
	if s.state != persist.Ready || s.weight == 0 {
		return 0
	}
	if s.backup {
		act, _ := next.usable()
		if act > 0 {
			return 0
		}
		if !b.proxy.Balance.AllBackups {
			for j, o := range next.servers {
				if o.backup && o.state == persist.Ready && o.weight > 0 {
					if j != i {
						return 0
					}
					break
				}
			}
		}
	}
	n := int(b.queued.Load())
	if m := next.lb.MaxConn(i); m > 0 { // a slow start's ramp, or minconn's share
		n = min(n, max(0, m-next.counters.Active(i)))
	}
	return n
}

// leftMaint words a server's leaving maintenance: the last flag cleared
// that HAProxy reports names the cause.
func (b *Backend) leftMaint(was, now *server, host string) string {
	state := upDown(now) + "/READY"
	if now.draining() {
		state = upDown(now) + "/DRAIN"
	}
	switch {
	case was.cond.admin&AdminIMaint != 0 && now.cond.admin&AdminIMaint == 0:
		return " is " + state + " (leaving maintenance)."
	case was.cond.admin&AdminRMaint != 0 && now.cond.admin&AdminRMaint == 0:
		return " ('" + host + "') is " + state + " (resolves again)."
	}
	return " is " + state + " (leaving forced maintenance)."
}

// upDown is "DOWN" for a stopped server, "UP" otherwise.
func upDown(s *server) string {
	if s.cond.op == OpStopped {
		return "DOWN"
	}
	return "UP"
}

// draining reports whether s is in drain mode by a flag.
func (s *server) draining() bool { return s.cond.admin&(AdminFDrain|AdminIDrain) != 0 }

// event sends a message about a server to the backend's log targets and,
// as a warning, to standard error.
func (b *Backend) event(level accesslog.Level, line string) {
	fmt.Fprintln(os.Stderr, "[WARNING] "+line)
	if b.events != nil {
		b.events.LogAt(level, []byte(line))
	}
}

// usable counts the servers that take new traffic, active and backup
// (HAProxy's srv_act and srv_bck).
func (sn *snapshot) usable() (act, bck int) {
	for _, s := range sn.servers {
		if s.cond.admin&(AdminMaintFlags|AdminFDrain|AdminIDrain) != 0 || s.weight == 0 {
			continue
		}
		if s.cond.op != OpRunning && s.cond.op != OpStarting {
			continue
		}
		if s.backup {
			bck++
		} else {
			act++
		}
	}
	return act, bck
}

// asciiEncode escapes the bytes of s that a log line cannot hold, and the
// double quote, as \xHH.
func asciiEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f || c == '"' {
			fmt.Fprintf(&b, "\\x%02x", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// downtime is how long b has had no usable server, in whole seconds as
// HAProxy counts it: the past spells, and the current one if sn has none.
func (b *Backend) downtime(sn *snapshot, now time.Time) time.Duration {
	d := time.Duration(b.downFor.Load())
	if a, k := sn.usable(); a+k == 0 {
		d += wholeSeconds(now) - wholeSeconds(time.Unix(0, b.changed.Load()))
	}
	return d
}
