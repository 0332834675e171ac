package runtime

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"tether/engine/config"
)

// Client sends runtime API commands to a fleet of sockets, as tetherctl
// does. Each command goes to every target in parallel on a connection of its
// own (written, half-closed, read to the end, as `socat stdio` does), and
// the next command starts once every target has replied, so changes apply in
// order everywhere.
type Client struct {
	Targets []Target      // sockets to talk to, in the order replies are printed
	Timeout time.Duration // bound on one command to one target: connect, send, reply
	Out     io.Writer     // where replies are printed
}

// Target is one socket of the fleet.
type Target struct {
	Name    string // the address as the user wrote it, used as the reply prefix
	Network string
	Address string
}

// ParseTarget reads the address of a socket to talk to, written as the
// address of a `server` line (config.ParseServerAddr): "ipv4@127.0.0.1:9999",
// "ipv6@::1:9999", "localhost:9999", "unix@/run/tether.sock",
// "/run/tether.sock", and a relative path, "./tether.sock". A TCP address
// needs its port; a name is dialled over either family (over IPv6 only with
// ipv6@).
func ParseTarget(addr string) (Target, error) {
	spec := addr
	if strings.HasPrefix(addr, "./") || strings.HasPrefix(addr, "../") {
		// A relative path names a unix socket: HAProxy's address syntax
		// wants unix@ before it, a command line should not.
		spec = "unix@" + addr
	}
	sa, err := config.ParseServerAddr(spec)
	if err != nil {
		return Target{}, err
	}
	t := Target{Name: addr, Network: sa.Network.String()}
	switch {
	case sa.Network == config.NetUnix:
		t.Address = sa.Path
	case sa.PortMode != config.PortFixed:
		return Target{}, fmt.Errorf("%w '%s': a port is needed", ErrAddr, addr)
	case sa.Host != "":
		if sa.Network != config.NetTCP6 {
			t.Network = "tcp"
		}
		t.Address = net.JoinHostPort(sa.Host, strconv.Itoa(sa.Port))
	default:
		t.Address = netip.AddrPortFrom(sa.IP, uint16(sa.Port)).String()
	}
	return t, nil
}

// Outcome of a run, from best to worst; Run returns the worst seen.
type Outcome int

const (
	OK         Outcome = 0 // every reply was a success
	ErrorReply Outcome = 1 // some reply was an error reply
	Failed     Outcome = 2 // some target could not be reached or timed out
)

// ErrTimeout is returned when a target does not reply within the client's
// timeout.
var ErrTimeout = errors.New("runtime: timeout")

// Run sends every command to every target and prints the replies. With one
// target the replies are printed as they come; with several, each line is
// prefixed with "target: ". The empty line that ends a reply is not printed.
// Failures to reach a target are printed as "target: error: ...".
func (c *Client) Run(ctx context.Context, commands []string) Outcome {
	worst := OK
	for _, cmd := range commands {
		replies := make([]string, len(c.Targets))
		errs := make([]error, len(c.Targets))
		var wg sync.WaitGroup
		for i, t := range c.Targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				replies[i], errs[i] = c.Send(ctx, t, cmd)
			}()
		}
		wg.Wait()
		for i, t := range c.Targets {
			prefix := ""
			if len(c.Targets) > 1 {
				prefix = t.Name + ": "
			}
			if errs[i] != nil {
				fmt.Fprintf(c.Out, "%serror: %v\n", prefix, errs[i])
				worst = max(worst, Failed)
				continue
			}
			if IsErrorReply(cmd, replies[i]) {
				worst = max(worst, ErrorReply)
			}
			c.print(prefix, replies[i])
		}
	}
	return worst
}

// print writes a reply, its terminating empty line removed, each line
// prefixed.
func (c *Client) print(prefix, reply string) {
	reply = strings.TrimSuffix(reply, "\n")
	reply = strings.TrimSuffix(reply, "\n")
	if reply == "" {
		return
	}
	var b strings.Builder
	for line := range strings.SplitSeq(reply, "\n") {
		b.WriteString(prefix)
		b.WriteString(line)
		b.WriteByte('\n')
	}
	io.WriteString(c.Out, b.String())
}

// Send sends one command line to t and returns the raw reply: everything
// the server wrote before closing, including the empty line that ends it.
func (c *Client) Send(ctx context.Context, t Target, cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, t.Network, t.Address)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return "", ErrTimeout
		}
		return "", err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		return "", err
	}
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	reply, err := io.ReadAll(conn)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			return "", ErrTimeout
		}
		return "", err
	}
	return string(reply), nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// errorPrefixes start the lines of HAProxy's (and tether's) error replies
// to the commands of this package.
var errorPrefixes = []string{
	"Unknown command",                 // unknown or incomplete command
	"Permission denied",               // level too low
	"Require ",                        // missing <bk>/<srv> or weight
	"No such ",                        // backend, server, proxy
	"Can't find backend",              // show servers state
	"A backend name is expected",      // dynamic cookie commands
	"String value expected",           // set dynamic-cookie-key
	"Proxy is disabled",               // server commands
	"usage: ",                         // set server without a known sub-command
	"'set server <srv>",               // bad state or health word
	"set server <b>/<s>",              // missing address
	"cannot change health",            // tracking server
	"Health check was not configured", // enable health
	"Absolute weight",                 // weight range
	"Relative weight",                 // negative percentage
	"Empty weight string",             // no number
	"Trailing garbage",                // number followed by garbage
	"Backend is using a static LB",    // weight on static-rr and the like
	"Backend must use a dynamic",      // add server on a static algorithm
	"Invalid addr",                    // set server addr
	"Update for the current server",   // set server addr on a server without inet address
	"Only servers in maintenance",     // del server
	"This server cannot be removed",   // del server
	"Server still has connections",    // del server
	"Already exists",                  // add server
}

// errorInfixes mark a `set server addr` reply whose second part failed after
// a valid first part.
var errorInfixes = []string{
	"problem converting port",
	"can't change <port> to port map",
}

// IsErrorReply reports whether reply, the raw reply to the command line cmd,
// reports an error: some line starts with one of HAProxy's error texts
// (errorPrefixes), or contains a port error of `set server addr`, or the
// command is a single `add server` whose reply is not "New server
// registered." (its errors come from the server-line parser and are too
// varied to list).
func IsErrorReply(cmd, reply string) bool {
	if args := Words([]byte(cmd)); len(args) >= 2 && args[0] == "add" && args[1] == "server" &&
		!strings.Contains(cmd, ";") {
		return !strings.HasPrefix(reply, strings.TrimSuffix(msgServerRegistered, "\n"))
	}
	for line := range strings.SplitSeq(reply, "\n") {
		for _, p := range errorPrefixes {
			if strings.HasPrefix(line, p) {
				return true
			}
		}
		for _, p := range errorInfixes {
			if strings.Contains(line, p) {
				return true
			}
		}
	}
	return false
}

// ReadCommands reads one command per line from r, skipping blank lines and
// lines starting with '#'. Line ends (LF or CRLF) are removed.
func ReadCommands(r io.Reader) ([]string, error) {
	var cmds []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxCommand)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		cmds = append(cmds, line)
	}
	return cmds, sc.Err()
}
