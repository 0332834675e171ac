package runtime

import (
	"io"
	"net"
	"time"
)

// Prompts written after each command's output.
const (
	promptBatch       = "\n"   // non-interactive: an empty line ends each reply
	promptInteractive = "\n> " // prompt mode
	promptPayload     = "+ "   // prompt mode, while a payload is being read
)

// session is one connection to a stats socket. It is used by the one
// goroutine that serves the connection.
type session struct {
	srv   *Server
	conn  net.Conn
	ctl   Control
	table []command
	level Level

	prompt bool // interactive mode with prompt
	nolf   bool // suppress the empty line after the current reply (`operator -`)
	quit   bool // close after the current reply

	timeout time.Duration // idle timeout set by `set timeout cli`; 0: the socket's

	in      []byte // input buffer of maxCommand bytes; in[:n] holds unread bytes
	n       int
	scanned int // bytes of in[:n] already searched without finding a delimiter

	pending []byte // command line waiting for its payload, nil when none
	payload []byte // payload lines read so far

	out []byte // reply being built
}

// print appends text to the reply.
func (s *session) print(text string) { s.out = append(s.out, text...) }

// idle is the session's idle timeout: its own once `set timeout cli` set
// one, the socket's (`stats timeout`) until then.
func (s *session) idle() time.Duration {
	if s.timeout > 0 {
		return s.timeout
	}
	return s.srv.spec.Timeout
}

// serve runs the session until the client quits or closes, a command is too
// long, the idle timeout expires or the server closes.
func (s *session) serve() {
	for {
		line, ok := s.nextLine()
		if !ok {
			s.drain()
			return
		}
		s.handleLine(line)
		if len(s.out) > 0 {
			if !s.write() {
				return
			}
		}
		if s.quit {
			s.drain()
			return
		}
		// Without prompt, the session ends once every byte received so
		// far has been answered (HAProxy closes when its request buffer
		// is empty), except in the middle of a payload.
		if !s.prompt && s.n == 0 && s.pending == nil {
			return
		}
	}
}

// handleLine processes one line: a command, the start of a payload or a
// payload line. It leaves the reply, prompt included, in s.out.
func (s *session) handleLine(line []byte) {
	line = trimCR(line)
	switch {
	case s.pending != nil && len(line) > 0:
		s.payload = append(append(s.payload, line...), '\n')
	case s.pending != nil:
		payload := s.payload
		if len(payload) > 0 {
			payload = payload[:len(payload)-1]
		} else {
			payload = []byte{}
		}
		cmd := s.pending
		s.pending, s.payload = nil, nil
		s.execute(cmd, payload)
		return
	case startsPayload(line):
		s.pending = append([]byte(nil), line...)
	default:
		s.execute(line, nil)
		return
	}
	if s.prompt {
		s.print(promptPayload)
	}
}

// execute runs one command and appends the prompt.
func (s *session) execute(line, payload []byte) {
	args := Words(line)
	if c := lookup(s.table, args); c == nil {
		s.printUsage(args, false)
	} else if s.level < c.level {
		s.print(msgPermissionDenied)
	} else {
		c.run(s, args, payload)
	}
	if s.quit {
		return
	}
	switch {
	case s.prompt:
		s.print(promptInteractive)
	case !s.nolf:
		s.print(promptBatch)
	}
	s.nolf = false
}

// nextLine returns a copy of the next complete line (without its
// delimiter), reading as needed. ok is false when the session must end: end of input or error before
// a complete line, a line longer than maxCommand, or the server closing.
func (s *session) nextLine() (line []byte, ok bool) {
	for {
		buf := s.in[:s.n]
		var end int
		if s.pending != nil {
			end, s.scanned = scanPayloadLine(buf, s.scanned)
		} else {
			end, s.scanned = scanCommand(buf, s.scanned)
		}
		if end < 0 && s.n > 0 && buf[s.n-1] == '\n' {
			// Every byte received so far ends with an escaped LF:
			// HAProxy takes them as one command, backslash included.
			end = s.n - 1
		}
		if end >= 0 {
			line = s.consume(end)
			return line, true
		}
		if s.n+len(s.pending)+len(s.payload) >= maxCommand {
			return nil, false
		}
		if !s.read() {
			return nil, false
		}
	}
}

// consume returns a copy of in[:end] and drops in[:end+1] from the input.
func (s *session) consume(end int) []byte {
	line := append([]byte(nil), s.in[:end]...)
	s.n = copy(s.in, s.in[end+1:s.n])
	s.scanned = 0
	return line
}

// read appends what the client sends to the input buffer, waiting at most
// the idle timeout.
func (s *session) read() bool {
	if !s.srv.armRead(s.conn, s.idle()) {
		return false
	}
	k, err := s.conn.Read(s.in[s.n : maxCommand-len(s.pending)-len(s.payload)])
	s.n += k
	return k > 0 || err == nil
}

// drainLimit bounds what drain reads from a client that keeps sending.
const (
	drainLimit = 1 << 20
	drainTime  = time.Second
)

// drain ends a session that leaves input unread (a command too long, bytes
// after quit): it closes the sending side, then reads and discards what the
// client still sends, for a bounded time and amount, so that closing does not
// reset the connection and the client reads a clean end of file.
func (s *session) drain() {
	if s.n == 0 {
		return
	}
	cw, ok := s.conn.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	s.conn.SetReadDeadline(time.Now().Add(min(drainTime, s.idle())))
	io.CopyN(io.Discard, s.conn, drainLimit)
}

// write sends the reply built so far.
func (s *session) write() bool {
	s.srv.armWrite(s.conn, s.idle())
	_, err := s.conn.Write(s.out)
	s.out = s.out[:0]
	return err == nil
}
