package accesslog

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"tether/engine/config"
)

// DefaultQueueLen is the number of lines a Logger holds for its writer
// by default (about 1 MiB of slots). Longer lines (Options.LineLen) get
// fewer slots, as many as fit in the same room, and at least
// minQueueLen.
const (
	DefaultQueueLen = 1024
	minQueueLen     = 64
)

// Options tune a Logger. The zero value logs as HAProxy 2.6 does, under
// the program name "tether".
type Options struct {
	Tag      string // program name in syslog headers; "" means "tether"
	PID      int    // process id in syslog headers; 0 means os.Getpid()
	QueueLen int    // lines waiting for the writer, rounded up to a power of two; 0 means DefaultQueueLen, or fewer for a LineLen above the default
	// LineLen is the size of HAProxy's log line buffer (see LineLen): a
	// line is at most one byte shorter. 0 means config.DefaultLogLen.
	LineLen     int
	DontLogNull bool // `option dontlognull`: LogHTTP skips records for which the client sent nothing
	// DontLogNormal is `option dontlog-normal`: LogHTTP skips the records
	// of exchanges that did not fail (Record.Error).
	DontLogNormal bool
	// SeparateErrors is `option log-separate-errors`: LogHTTP sends the
	// records of failed exchanges at level "err" instead of "info".
	SeparateErrors bool
	CLF            bool // `option httplog clf`: LogHTTP renders the common log format (AppendCLFLog)
	// Events keeps every target whatever its maximum level: the Logger
	// carries a proxy's event messages (LogAt: servers going up and
	// down), not its access logs, and each target filters the lines by
	// level as they are sent.
	Events bool

	// Stdout and Stderr receive the lines of `log stdout` and `log
	// stderr` (and fd@1, fd@2); nil means os.Stdout and os.Stderr. Each
	// Write gets one whole line, newline included.
	Stdout, Stderr io.Writer
}

// Logger sends access log lines to the targets of a proxy's `log`
// lines. Its methods are safe for concurrent use. Log and LogHTTP never
// block and never allocate: they claim a slot of a bounded ring with one
// compare-and-swap, write the line into it, and wake the writer with a
// non-blocking channel send only when it sleeps. One goroutine drains the
// ring, framing each line for each target and writing it there.
type Logger struct {
	q              *queue
	targets        []*target
	dontLogNull    bool
	dontLogNormal  bool
	separateErrors bool
	clf            bool

	dropped  atomic.Uint64
	closed   atomic.Bool
	sleeping atomic.Bool   // the writer waits on wake
	wake     chan struct{} // capacity 1
	done     chan struct{} // closed by Close
	exited   chan struct{} // closed by the writer when it has drained the queue
	once     sync.Once
	closeErr error // the result of Close
}

// New opens the targets of the given `log` lines (see Targets for `log
// global`) and starts the Logger's writer. Lines whose maximum level
// excludes "info", the level of access logs, are left out, unless
// Options.SeparateErrors sends some lines at "err" and the maximum level
// lets those through. With no
// target left, the Logger refuses every line without counting it as
// dropped. The caller must Close the Logger.
func New(lines []config.LogTarget, o Options) (*Logger, error) {
	if o.Tag == "" {
		o.Tag = "tether"
	}
	if o.PID == 0 {
		o.PID = os.Getpid()
	}
	if o.LineLen <= 0 {
		o.LineLen = config.DefaultLogLen
	}
	if o.QueueLen <= 0 {
		o.QueueLen = max(DefaultQueueLen*config.DefaultLogLen/o.LineLen, minQueueLen)
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	l := &Logger{
		dontLogNull:    o.DontLogNull,
		dontLogNormal:  o.DontLogNormal,
		separateErrors: o.SeparateErrors,
		clf:            o.CLF,
		wake:           make(chan struct{}, 1),
		done:           make(chan struct{}),
		exited:         make(chan struct{}),
	}
	for _, line := range lines {
		t, err := openTarget(line, &o)
		if err != nil {
			for _, t := range l.targets {
				t.close()
			}
			return nil, err
		}
		if t != nil {
			l.targets = append(l.targets, t)
		}
	}
	if len(l.targets) == 0 {
		close(l.exited)
		return l, nil
	}
	l.q = newQueue(o.QueueLen, o.LineLen-1)
	go l.run()
	return l, nil
}

// LogHTTP queues the httplog line of r (or its common log format line,
// with Options.CLF, or the line of its log-format, Record.Format),
// rendered straight into the queue. It reports whether
// the line was queued: false when the record is skipped by `option
// dontlognull` or `option dontlog-normal`, when the queue is full (the
// line is counted in Dropped) or when the Logger is closed or has no
// target. r and the memory its slices view are not used after LogHTTP
// returns.
func (l *Logger) LogHTTP(r *Record) bool {
	failed := (l.dontLogNormal || l.separateErrors) && r.Error()
	if l.dontLogNull && r.Null() || l.dontLogNormal && !failed {
		return false
	}
	s, pos, ok := l.claim()
	if !ok {
		return false
	}
	s.level = levelInfo
	if l.separateErrors && failed {
		s.level = levelErr
	}
	var b []byte
	switch {
	case r.Format != nil:
		b = AppendLogFormat(s.line[:0], r.Format, r, len(s.line))
	case l.clf:
		b = appendCLFLog(s.line[:0], r, len(s.line))
	default:
		b = appendHTTPLog(s.line[:0], r, len(s.line))
	}
	if len(b) > 0 && &b[0] != &s.line[0] { // only for names longer than a line
		b = b[:copy(s.line, b)]
	}
	s.n = len(b)
	l.publish(s, pos)
	return true
}

// Log queues a finished line (without newline), cut to the line length
// (Options.LineLen less one).
// It reports whether the line was queued, as LogHTTP does. line is not
// used after Log returns.
func (l *Logger) Log(line []byte) bool {
	s, pos, ok := l.claim()
	if !ok {
		return false
	}
	s.n = copy(s.line, line)
	s.level = levelInfo
	l.publish(s, pos)
	return true
}

// LogAt queues a finished line as Log does, at the given level: the
// targets whose maximum level is less severe skip it, and those with a
// minimum level send it at that level when it is more severe.
func (l *Logger) LogAt(level Level, line []byte) bool {
	s, pos, ok := l.claim()
	if !ok {
		return false
	}
	s.n = copy(s.line, line)
	s.level = uint8(level)
	l.publish(s, pos)
	return true
}

// Dropped returns how many lines were lost: refused because the queue
// was full or the Logger closed, or failed to be sent to a target.
func (l *Logger) Dropped() uint64 { return l.dropped.Load() }

// Close stops taking lines, waits for the writer to send the lines
// already queued, and closes the sockets the Logger opened. A line being
// queued while Close runs may be lost. Later calls return the first
// call's result.
func (l *Logger) Close() error {
	l.once.Do(func() {
		if l.q != nil {
			l.closed.Store(true)
			close(l.done)
		}
		<-l.exited
		for _, t := range l.targets {
			if err := t.close(); err != nil && l.closeErr == nil {
				l.closeErr = err
			}
		}
	})
	return l.closeErr
}

// claim reserves a queue slot, counting the line as dropped when it
// cannot.
func (l *Logger) claim() (*slot, uint64, bool) {
	if l.q == nil {
		return nil, 0, false
	}
	if l.closed.Load() {
		l.dropped.Add(1)
		return nil, 0, false
	}
	s, pos := l.q.claim()
	if s == nil {
		l.dropped.Add(1)
		return nil, 0, false
	}
	return s, pos, true
}

// publish hands a filled slot to the writer and wakes it if it sleeps.
func (l *Logger) publish(s *slot, pos uint64) {
	l.q.publish(s, pos)
	if l.sleeping.Load() && l.sleeping.CompareAndSwap(true, false) {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// run is the writer: it sends queued lines until Close, then sends what
// is left and exits.
func (l *Logger) run() {
	defer close(l.exited)
	buf := make([]byte, 0, maxDatagram+1)
	for {
		for s := l.q.peek(); s != nil; s = l.q.peek() {
			now := time.Now()
			for _, t := range l.targets {
				var err error
				if buf, err = t.write(buf, s.line[:s.n], s.level, now); err != nil {
					l.dropped.Add(1)
				}
			}
			l.q.release(s)
		}
		l.sleeping.Store(true)
		if l.q.peek() != nil {
			l.sleeping.Store(false)
			continue
		}
		select {
		case <-l.wake:
		case <-l.done:
			l.sleeping.Store(false)
			if l.q.peek() != nil {
				continue
			}
			return
		}
	}
}
