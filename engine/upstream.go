package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// upState is the life stage of an Upstream.
type upState uint8

const (
	upNone    upState = iota // never dialled, or closed
	upDialing                // a dial is in flight
	upOpen                   // connected and attached to its owner
	upPooled                 // connected and idle in a Pool
	upClosing                // Close was called; OnClose is due
)

// UpstreamHandler receives the events of an Upstream, on its loop.
type UpstreamHandler interface {
	// OnConnect ends a dial: err is nil once u.Conn is usable, otherwise
	// ErrConnectTimeout, ErrNotRegistered or the dial's error (connection
	// refused, no route...). It is not called for a dial abandoned by Close.
	OnConnect(u *Upstream, err error)
	// OnUpstreamTraffic runs when bytes arrive while u is attached (not
	// pooled). Before it, the loop's clock may tick and fire timers.
	OnUpstreamTraffic(u *Upstream) gnet.Action
	// OnUpstreamClose runs once when u's socket has closed, whoever closed
	// it, also while u was idle in a Pool (which has already forgotten it).
	// u may dial again from here on. It does not run for a socket closed by
	// a Valve or taken by a Tunnel.
	OnUpstreamClose(u *Upstream, err error)
}

// Upstream is one connection to a server, on the loop of the client it
// serves. The protocol layer embeds it in its server-side connection struct
// and calls Init once; the struct can then dial, be pooled, close and dial
// again. It is used only on its loop's goroutine.
type Upstream struct {
	conn  gnet.Conn
	loop  *Loop
	h     UpstreamHandler
	timer Timer // connect timeout
	state upState
	gen   uint32 // dial generation: results of older dials are ignored
	pool  *Pool
	valve *Valve    // the Valve holding u's socket while paused
	older *Upstream // pool links: towards the bottom of the stack
	newer *Upstream // pool links: towards the top of the stack

	// KeepAlive turns TCP keep-alive probes on for the sockets Dial makes
	// (option srvtcpka), at the system's intervals.
	KeepAlive bool
	// Source is the local address the sockets Dial makes bind to before
	// they connect (`source`); port 0 lets the system pick one when the
	// connection is made. The zero value binds nothing.
	Source netip.AddrPort
	// Preface is written on the socket before anything else, as part of
	// the connect: the connection is ready once it is sent (a PROXY
	// protocol header). Dial's goroutine reads it, so a new dial needs a
	// new slice, never one written over. It stays as the connection's
	// until the next Dial, so a pool can tell what the server was told.
	Preface []byte
}

// dialAttempt is the context of a connection being dialled: it names the
// generation, so a late connection of an abandoned dial is closed.
type dialAttempt struct {
	u       *Upstream
	gen     uint32
	source  netip.AddrPort // u's Source when the dial started
	preface []byte         // u's Preface when the dial started
}

// Init ties u to loop l and handler h. Call it once, on l.
func (u *Upstream) Init(l *Loop, h UpstreamHandler) {
	u.loop, u.h = l, h
	u.timer.Init(u.expire)
}

// Conn returns the connection, or nil while dialling or after close. It is
// valid until OnClose.
func (u *Upstream) Conn() gnet.Conn { return u.conn }

// Handler returns the handler given to Init: the protocol layer's struct
// embedding u, when it takes u from a Pool.
func (u *Upstream) Handler() UpstreamHandler { return u.h }

// Loop returns the loop u belongs to.
func (u *Upstream) Loop() *Loop { return u.loop }

// Connected reports whether u has an open connection (attached or pooled).
func (u *Upstream) Connected() bool { return u.state == upOpen || u.state == upPooled }

// Dial connects u to addr on u's loop. It returns an error only when the
// dial cannot start (ErrTooManyConns); otherwise the outcome comes to
// OnConnect, within timeout (a non-positive timeout leaves it to the
// system's SYN retries).
//
// The connect(2) is issued on the loop and its completion awaited on a
// goroutine, then the socket is enrolled on the loop (see dialConnect). It
// costs about 40% less CPU than gnet's EventLoop.Register (a blocking
// net.Dial on gnet's worker, without a timeout) or a net.Dialer on a
// goroutine: see BenchmarkDialConnect, BenchmarkDialRegister and
// BenchmarkDialEnroll.
func (u *Upstream) Dial(addr *net.TCPAddr, timeout time.Duration) error {
	return u.dial(dialConnect, addr, timeout)
}

// dialer starts the connection of attempt a on its loop.
type dialer func(a *dialAttempt, addr *net.TCPAddr, timeout time.Duration) error

func (u *Upstream) dial(d dialer, addr *net.TCPAddr, timeout time.Duration) error {
	if u.state != upNone {
		panic("BUG: engine: Dial on a connected Upstream")
	}
	s := u.loop.srv
	if s.fds.Load() >= s.budget {
		return ErrTooManyConns
	}
	u.gen++
	a := &dialAttempt{u: u, gen: u.gen, source: u.Source, preface: u.Preface}
	if err := d(a, addr, timeout); err != nil {
		return err
	}
	u.state = upDialing
	if timeout > 0 {
		u.loop.Schedule(&u.timer, timeout)
	}
	return nil
}

// dialConnect starts a non-blocking connect(2) on the loop; a goroutine
// then waits until the socket is writable (gnet cannot watch a socket it
// does not own), makes it a net.Conn and enrolls it on the loop (see
// enroll). On loopback the connect completes inside the system call and the
// goroutine never parks. The timeout is a deadline on that wait, so it
// frees the socket and the goroutine.
func dialConnect(a *dialAttempt, addr *net.TCPAddr, timeout time.Duration) error {
	l := a.u.loop
	family := unix.AF_INET
	var sa unix.Sockaddr
	if ip4 := addr.IP.To4(); ip4 != nil {
		sa4 := &unix.SockaddrInet4{Port: addr.Port}
		copy(sa4.Addr[:], ip4)
		sa = sa4
	} else {
		family = unix.AF_INET6
		sa6 := &unix.SockaddrInet6{Port: addr.Port}
		copy(sa6.Addr[:], addr.IP.To16())
		sa = sa6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	err = bindSource(fd, a.source)
	if err == nil {
		err = unix.Connect(fd, sa)
	}
	if err != nil && err != unix.EINPROGRESS {
		_ = unix.Close(fd)
		return l.Execute(func() { a.failed(err) }) // reported like any dial error
	}
	keepAlive := a.u.KeepAlive
	go func() {
		nc, err := connected(fd, timeout, keepAlive, a.preface)
		if err != nil {
			a.report(err)
			return
		}
		a.enroll(nc, timeout)
	}()
	return nil
}

// enroll runs on the goroutine of a dial once its connection nc is open: it
// enrolls nc on a's loop (OnOpen then calls opened) and reports a failure
// there. With a timeout it does not wait for gnet's result: the connect
// timeout on the wheel settles an attempt that never opens. Without one it
// waits and reports on the loop, since gnet reports success even when it
// could not add the socket to epoll (then OnOpen never runs).
func (a *dialAttempt) enroll(nc net.Conn, timeout time.Duration) {
	ch, err := a.u.loop.el.Enroll(gnet.NewContext(context.Background(), a), nc)
	if err != nil {
		_ = nc.Close()
		a.report(err)
		return
	}
	if timeout > 0 {
		return
	}
	a.report((<-ch).Err)
}

// report hands the outcome of a dial's goroutine to failed, on a's loop.
func (a *dialAttempt) report(err error) { _ = a.u.loop.Execute(func() { a.failed(err) }) }

// bindSource binds socket fd to the local address src before it connects,
// as HAProxy binds a `source`: with SO_REUSEADDR, and with
// IP_BIND_ADDRESS_NO_PORT when the port is left to the system, so it is
// chosen at connect time with the whole four-tuple and a source address
// is not limited to one connection per port. An invalid src binds
// nothing.
func bindSource(fd int, src netip.AddrPort) error {
	if !src.IsValid() {
		return nil
	}
	var sa unix.Sockaddr
	if src.Addr().Is4() {
		sa = &unix.SockaddrInet4{Port: int(src.Port()), Addr: src.Addr().As4()}
	} else {
		sa = &unix.SockaddrInet6{Port: int(src.Port()), Addr: src.Addr().As16()}
	}
	sourceOptions(fd, src)
	if err := unix.Bind(fd, sa); err != nil {
		return fmt.Errorf("%w: %w", ErrSourceBind, err)
	}
	return nil
}

// sourceOptions sets the options of socket fd that bindSource sets before
// it binds fd to src.
func sourceOptions(fd int, src netip.AddrPort) {
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if src.Port() == 0 {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	}
}

// connected waits until the connect of fd has completed and preface is
// written, within timeout, and returns the connection as a net.Conn (fd
// itself is closed), with TCP keep-alive probes on or off as keepAlive
// says.
func connected(fd int, timeout time.Duration, keepAlive bool, preface []byte) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), "dial")
	defer f.Close()
	if timeout > 0 {
		_ = f.SetWriteDeadline(time.Now().Add(timeout))
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var connErr error
	err = rc.Write(func(fd uintptr) bool {
		if _, err := unix.Getpeername(int(fd)); err == nil {
			return true
		}
		if v, _ := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR); v != 0 {
			connErr = unix.Errno(v)
			return true
		}
		return false // still connecting: wait until writable
	})
	if err == nil {
		err = connErr
	}
	for err == nil && len(preface) > 0 {
		err = rc.Write(func(fd uintptr) bool {
			n, werr := unix.Write(int(fd), preface)
			switch {
			case werr == unix.EAGAIN:
				return false // the send buffer is full: wait until writable
			case werr != nil:
				connErr = werr
			default:
				preface = preface[n:]
			}
			return true
		})
		if err == nil && connErr != nil {
			err = connErr
		}
	}
	if err != nil {
		return nil, err
	}
	nc, err := net.FileConn(f) // a duplicate
	if err != nil {
		return nil, err
	}
	// net.FileConn turns probes on every 15 s; HAProxy sends them only with
	// option srvtcpka, at the system's intervals. The duplicate shares the
	// socket, so its options are set through f.
	_ = rc.Control(func(fd uintptr) { setKeepAlive(int(fd), keepAlive) })
	return nc, nil
}

// systemKeepAlive holds the kernel's keep-alive idle time, interval and
// probe count (net.ipv4.tcp_keepalive_*), read once; a zero is left unset.
var systemKeepAlive = sync.OnceValue(func() (v [3]int) {
	for i, name := range [...]string{"tcp_keepalive_time", "tcp_keepalive_intvl", "tcp_keepalive_probes"} {
		if b, err := os.ReadFile("/proc/sys/net/ipv4/" + name); err == nil {
			v[i], _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
	}
	return v
})

// setKeepAlive turns TCP keep-alive probes on socket fd on, at the
// system's intervals, or off.
func setKeepAlive(fd int, on bool) {
	if !on {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0)
		return
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
	for i, opt := range [...]int{unix.TCP_KEEPIDLE, unix.TCP_KEEPINTVL, unix.TCP_KEEPCNT} {
		if v := systemKeepAlive()[i]; v > 0 {
			_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, opt, v)
		}
	}
}

// failed runs on the loop after a dial's goroutine has finished. If the
// attempt is still the current one and never opened, the dial failed.
func (a *dialAttempt) failed(err error) {
	u := a.u
	if a.gen != u.gen || u.state != upDialing {
		return
	}
	var ne net.Error
	switch {
	case err == nil:
		err = ErrNotRegistered
	case errors.As(err, &ne) && ne.Timeout():
		err = ErrConnectTimeout // the dialer's own timeout beat the wheel's
	}
	u.timer.Stop()
	u.state = upNone
	u.h.OnConnect(u, err)
}

// opened runs in OnOpen of a dialled connection.
func (a *dialAttempt) opened(c gnet.Conn) gnet.Action {
	u := a.u
	if a.gen != u.gen || u.state != upDialing {
		return gnet.Close // abandoned: timed out or closed meanwhile
	}
	u.loop.srv.fds.Add(1)
	u.timer.Stop()
	u.conn = c
	u.state = upOpen
	c.SetContext(u)
	u.h.OnConnect(u, nil)
	return gnet.None
}

// expire is u's timer: a connect timeout while dialling.
func (u *Upstream) expire() {
	switch u.state {
	case upDialing:
		u.state = upNone
		u.gen++ // the dial goes on in its goroutine; its result is ignored
		u.h.OnConnect(u, ErrConnectTimeout)
	}
}

// Close closes u's connection asynchronously (OnUpstreamClose follows),
// or abandons a dial in flight (no OnConnect follows). If a Valve holds u's
// socket, the Valve closes it at once and no OnUpstreamClose follows.
// Idempotent.
func (u *Upstream) Close() {
	if u.valve != nil {
		u.valve.Close()
		return
	}
	switch u.state {
	case upDialing:
		u.gen++
		u.state = upNone
		u.timer.Stop()
	case upPooled:
		u.pool.remove(u)
		fallthrough
	case upOpen:
		u.state = upClosing
		u.timer.Stop()
		_ = u.conn.Close()
	}
}

// Alive reports whether u's connection can still carry a request as far as
// the kernel knows: the server has neither closed it nor sent anything
// since the loop last read it. It costs one recv(MSG_PEEK) system call, so
// it is meant for connections taken from a Pool after a long idle time,
// where a server's close may be in flight; a request on any reused
// connection must still be retried if the connection closes before a
// response byte.
func (u *Upstream) Alive() bool {
	if u.conn == nil || (u.state != upOpen && u.state != upPooled) {
		return false
	}
	var b [1]byte
	_, _, err := unix.Recvfrom(u.conn.Fd(), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
	return err == unix.EAGAIN // nothing to read: neither a FIN nor bytes
}

// CloseFlushed closes u's connection once gnet has written out what it
// buffered for it, or after timeout (see Loop.CloseFlushed);
// OnUpstreamClose follows. A dial in flight is abandoned as by Close.
func (u *Upstream) CloseFlushed(timeout time.Duration) {
	if u.state != upOpen || u.valve != nil {
		u.Close()
		return
	}
	u.state = upClosing
	u.timer.Stop()
	u.loop.CloseFlushed(u.conn, timeout)
}

// traffic runs in OnTraffic. Bytes from a pooled connection are a protocol
// error (the server spoke out of turn): the connection is dropped.
func (u *Upstream) traffic(gnet.Conn) gnet.Action {
	u.loop.poll()
	switch u.state {
	case upOpen:
		return u.h.OnUpstreamTraffic(u)
	case upPooled:
		u.pool.remove(u)
		u.state = upClosing
	}
	return gnet.Close
}

// closed runs in OnClose.
func (u *Upstream) closed(err error) {
	if u.state == upPooled {
		u.pool.remove(u)
	}
	u.timer.Stop()
	u.state = upNone
	u.conn = nil
	u.h.OnUpstreamClose(u, err)
}
