package runtime

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"
)

// fakeControl is an in-memory Control for tests. It models only what the
// replies depend on: names and ids, states, weights, addresses, whether a
// check is configured, and a cookie value per server that changes with the
// key and the address (a stand-in for the engine's XXH64 computation, which
// is not tested here). It records every mutating call.
type fakeControl struct {
	mu       sync.Mutex
	backends []fakeBackend
	calls    []string
	// block, when set, is received from at the start of each mutating call,
	// to hold a command in flight; entered, when set, is sent to just
	// before.
	block   chan struct{}
	entered chan struct{}
}

type fakeBackend struct {
	view    BackendView
	cookie  string // cookie name
	dynamic bool
	key     string
	cookies map[string]string // server name -> dynamic cookie value
	algo    string
}

// newFake returns the model of this configuration (ids as HAProxy assigns
// them when a stats socket exists: the first proxy, frontend fe, is 2):
//
//	frontend fe (id 2)
//	backend bk (id 3): balance roundrobin, cookie SRVID insert dynamic,
//	  dynamic-cookie-key mysecretphrase,
//	  server s1 127.0.0.1:8080, server s2 127.0.0.1:18081 weight 5
//	backend st (id 4): balance static-rr, server a 127.0.0.1:9000
//	listen ls (id 5): server x 127.0.0.1:9001 check
func newFake() *fakeControl {
	lo := netip.MustParseAddr("127.0.0.1")
	srv := func(id int, name string, port uint32, w int) ServerView {
		return ServerView{ID: id, Name: name, Addr: lo, Port: port, OpState: OpRunning,
			UWeight: w, IWeight: w, Check: CheckView{Status: 1, Health: 2}}
	}
	f := &fakeControl{backends: []fakeBackend{
		{view: BackendView{ID: 3, Name: "bk", DynamicLB: true,
			Servers: []ServerView{srv(1, "s1", 8080, 1), srv(2, "s2", 18081, 5)}},
			cookie: "SRVID", dynamic: true, key: "mysecretphrase", algo: "roundrobin"},
		{view: BackendView{ID: 4, Name: "st", Servers: []ServerView{srv(1, "a", 9000, 1)}},
			algo: "static-rr"},
		{view: BackendView{ID: 5, Name: "ls", DynamicLB: true, Servers: []ServerView{srv(1, "x", 9001, 1)}},
			algo: "roundrobin"},
	}}
	x := &f.backends[2].view.Servers[0]
	x.Check = CheckView{Configured: true, Status: 8, Result: 2, State: 6}
	x.OpState = OpStopped
	for i := range f.backends {
		f.recompute(&f.backends[i])
	}
	return f
}

// recompute sets every server's stand-in dynamic cookie.
func (f *fakeControl) recompute(b *fakeBackend) {
	b.cookies = map[string]string{}
	if !b.dynamic || b.key == "" {
		return
	}
	for _, s := range b.view.Servers {
		if !s.Addr.IsValid() {
			continue
		}
		h := fnv.New64a()
		fmt.Fprintf(h, "%s|%s|%d", b.key, s.Addr, s.Port)
		b.cookies[s.Name] = fmt.Sprintf("%016x", h.Sum64())
	}
}

func (f *fakeControl) record(format string, a ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, a...))
}

// takeCalls returns the mutating calls recorded since the last take.
func (f *fakeControl) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

// cookieOf returns the current dynamic cookie of a server.
func (f *fakeControl) cookieOf(bk, sv string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, _ := f.backend(bk)
	return b.cookies[sv]
}

var (
	errFakeNoBackend = errors.New("No such backend.")
	errFakeNoServer  = errors.New("No such server.")
)

func (f *fakeControl) backend(name string) (*fakeBackend, error) {
	for i := range f.backends {
		if f.backends[i].view.Name == name {
			return &f.backends[i], nil
		}
	}
	return nil, errFakeNoBackend
}

func (f *fakeControl) server(bk, sv string) (*fakeBackend, *ServerView, error) {
	b, err := f.backend(bk)
	if err != nil {
		return nil, nil, err
	}
	for i := range b.view.Servers {
		if b.view.Servers[i].Name == sv {
			return b, &b.view.Servers[i], nil
		}
	}
	return nil, nil, errFakeNoServer
}

// mutate runs change under the lock after the optional block.
func (f *fakeControl) mutate(change func() error) error {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return change()
}

func (f *fakeControl) Backends() []BackendView {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]BackendView, len(f.backends))
	for i, b := range f.backends {
		out[i] = b.view
		out[i].Servers = slices.Clone(b.view.Servers)
	}
	return out
}

func (f *fakeControl) Info() Info {
	return Info{Name: "tether", Version: "0.0-test", ReleaseDate: "2026/11/22", Nbthread: 2, Pid: 4242,
		Start: time.Unix(1795313424, 0), Uptime: 74 * time.Second, UlimitN: 1024, Maxsock: 1024,
		Maxconn: 1000, HardMaxconn: 1000, CumConns: 176, CumReq: 138, Node: "vm", Jobs: 7, Listeners: 6}
}

func (f *fakeControl) Stats() []StatRow {
	f.mu.Lock()
	defer f.mu.Unlock()
	rows := []StatRow{{Kind: StatFrontend, Proxy: "fe", ProxyID: 2, Status: "OPEN", Mode: "http", Pid: 1, Slim: 9983}}
	for _, b := range f.backends {
		if b.view.Name == "ls" { // a listen section has a frontend too
			rows = append(rows, StatRow{Kind: StatFrontend, Proxy: "ls", ProxyID: 5, Status: "OPEN",
				Mode: "http", Pid: 1, Slim: 9983})
		}
		sum := 0
		for _, s := range b.view.Servers {
			status := "no check"
			switch {
			case s.Admin&AdminFMaint != 0:
				status = "MAINT"
			case s.Admin&AdminFDrain != 0:
				status = "DRAIN"
			case s.Check.Configured && s.OpState == OpStopped:
				status = "DOWN"
			}
			sum += s.UWeight
			rows = append(rows, StatRow{Kind: StatServer, Proxy: b.view.Name, ProxyID: b.view.ID,
				Server: s.Name, ServerID: s.ID, Status: status, Mode: "http", Pid: 1,
				Weight: s.UWeight, UWeight: s.UWeight, Act: 1, LastSess: -1,
				Addr: s.Addr.String() + ":" + strconv.Itoa(int(s.Port)), Cookie: b.cookies[s.Name],
				Check: s.Check.Configured, CheckStatus: "L4CON", CheckRise: 2, CheckFall: 3,
				LastChk: "Connection refused", CheckDesc: "Layer4 connection problem",
				Maint: s.Admin&AdminFMaint != 0, Down: status == "DOWN"})
		}
		rows = append(rows, StatRow{Kind: StatBackend, Proxy: b.view.Name, ProxyID: b.view.ID,
			Status: "UP", Mode: "http", Algo: b.algo, Cookie: b.cookie, Pid: 1, Slim: 999,
			Weight: sum, UWeight: sum, Act: len(b.view.Servers), LastSess: -1})
	}
	return rows
}

func (f *fakeControl) SetDynamicCookie(bk string, on bool) error {
	return f.mutate(func() error {
		f.record("dynamic-cookie %s %v", bk, on)
		b, err := f.backend(bk)
		if err != nil {
			return err
		}
		b.dynamic = on
		f.recompute(b)
		return nil
	})
}

func (f *fakeControl) SetDynamicCookieKey(bk, key string) error {
	return f.mutate(func() error {
		f.record("dynamic-cookie-key %s %q", bk, key)
		b, err := f.backend(bk)
		if err != nil {
			return err
		}
		b.key = key
		f.recompute(b)
		return nil
	})
}

func (f *fakeControl) SetServerAdmin(bk, sv string, st AdminState) error {
	return f.mutate(func() error {
		f.record("admin %s/%s %d", bk, sv, st)
		_, s, err := f.server(bk, sv)
		if err != nil {
			return err
		}
		s.Admin &^= AdminFMaint | AdminFDrain
		switch st {
		case AdminDrain:
			s.Admin |= AdminFDrain
		case AdminMaint:
			s.Admin |= AdminFMaint
		}
		return nil
	})
}

func (f *fakeControl) SetServerHealth(bk, sv string, h Health) error {
	return f.mutate(func() error {
		f.record("health %s/%s %d", bk, sv, h)
		_, s, err := f.server(bk, sv)
		if err != nil {
			return err
		}
		s.OpState = map[Health]OpState{HealthUp: OpRunning, HealthStopping: OpStopping, HealthDown: OpStopped}[h]
		return nil
	})
}

func (f *fakeControl) SetServerWeight(bk, sv string, w int) error {
	return f.mutate(func() error {
		f.record("weight %s/%s %d", bk, sv, w)
		_, s, err := f.server(bk, sv)
		if err != nil {
			return err
		}
		s.UWeight = w
		return nil
	})
}

func (f *fakeControl) SetCheckTarget(bk, sv string, addr netip.Addr, setAddr bool, port int, setPort bool) error {
	return f.mutate(func() error {
		f.record("check-target %s/%s %v %v %d %v", bk, sv, addr, setAddr, port, setPort)
		_, s, err := f.server(bk, sv)
		if err != nil {
			return err
		}
		if setAddr {
			s.Check.Addr = addr
		}
		if setPort {
			s.Check.Port = port
		}
		return nil
	})
}

func (f *fakeControl) SetServerAddr(bk, sv string, c AddrChange) error {
	return f.mutate(func() error {
		f.record("addr %s/%s %+v", bk, sv, c)
		b, s, err := f.server(bk, sv)
		if err != nil {
			return err
		}
		s.Admin &^= AdminRMaint
		if c.SetAddr {
			s.Addr = c.Addr
		}
		if c.SetPort {
			s.Port, s.PortMap = c.Port, c.PortMap
		}
		if c.SetAddr || c.SetPort {
			f.recompute(b)
		}
		return nil
	})
}

func (f *fakeControl) SetAgentCheck(bk, sv string, on bool) error {
	return f.mutate(func() error {
		f.record("agent %s/%s %v", bk, sv, on)
		_, _, err := f.server(bk, sv)
		return err
	})
}

func (f *fakeControl) SetAgentHealth(bk, sv string, up bool) error {
	return f.mutate(func() error {
		f.record("agent health %s/%s %v", bk, sv, up)
		_, _, err := f.server(bk, sv)
		return err
	})
}

func (f *fakeControl) SetAgentTarget(bk, sv string, addr netip.Addr, setAddr bool, port int, setPort bool) error {
	return f.mutate(func() error {
		f.record("agent target %s/%s %v %v %d %v", bk, sv, addr, setAddr, port, setPort)
		_, _, err := f.server(bk, sv)
		return err
	})
}

func (f *fakeControl) SetAgentSend(bk, sv, send string) error {
	return f.mutate(func() error {
		f.record("agent send %s/%s %q", bk, sv, send)
		_, _, err := f.server(bk, sv)
		return err
	})
}

func (f *fakeControl) SetHealthCheck(bk, sv string, on bool) error {
	return f.mutate(func() error {
		f.record("check %s/%s %v", bk, sv, on)
		_, _, err := f.server(bk, sv)
		return err
	})
}

func (f *fakeControl) ShutdownSessions(bk, sv string) error {
	return f.mutate(func() error {
		f.record("shutdown %s/%s", bk, sv)
		_, _, err := f.server(bk, sv)
		return err
	})
}

func (f *fakeControl) PauseFrontend(fe string) error  { return f.frontendCall("pause", fe) }
func (f *fakeControl) ResumeFrontend(fe string) error { return f.frontendCall("resume", fe) }
func (f *fakeControl) StopFrontend(fe string) error   { return f.frontendCall("stop", fe) }

func (f *fakeControl) frontendCall(what, fe string) error {
	return f.mutate(func() error {
		f.record("%s %s", what, fe)
		return nil
	})
}

func (f *fakeControl) ClearCounters(all bool) {
	_ = f.mutate(func() error {
		f.record("clear %v", all)
		return nil
	})
}

func (f *fakeControl) SetServerMaxConn(bk, sv string, n int) error {
	return f.mutate(func() error {
		f.record("maxconn %s/%s %d", bk, sv, n)
		_, _, err := f.server(bk, sv)
		return err
	})
}

func (f *fakeControl) SetFrontendMaxConn(fe string, n int) error {
	return f.mutate(func() error {
		f.record("maxconn %s %d", fe, n)
		if n < 0 {
			return errors.New("Value out of range.")
		}
		return nil
	})
}

func (f *fakeControl) SetGlobalMaxConn(n int) error {
	return f.mutate(func() error {
		f.record("maxconn global %d", n)
		if n > 1000 {
			return errors.New("Value out of range.")
		}
		return nil
	})
}

func (f *fakeControl) AddServer(bk, sv string, words []string) error {
	return f.mutate(func() error {
		f.record("add %s/%s %q", bk, sv, words)
		b, err := f.backend(bk)
		if err != nil {
			return err
		}
		if len(words) == 0 {
			return errors.New("'server' expects <name> and <addr>[:<port>] as arguments.")
		}
		if slices.Contains(words, "cookie") {
			return errors.New("'cookie' option is not accepted for dynamic server")
		}
		for _, s := range b.view.Servers {
			if s.Name == sv {
				return errors.New("Already exists a server with the same name in backend.")
			}
		}
		ap, err := netip.ParseAddrPort(words[0])
		if err != nil {
			return fmt.Errorf("invalid address: '%s'", words[0])
		}
		id := 0
		for _, s := range b.view.Servers {
			id = max(id, s.ID)
		}
		b.view.Servers = append(b.view.Servers, ServerView{ID: id + 1, Name: sv, Addr: ap.Addr(),
			Port: uint32(ap.Port()), Admin: AdminFMaint, UWeight: 1, IWeight: 1})
		f.recompute(b)
		return nil
	})
}

func (f *fakeControl) DelServer(bk, sv string) error {
	return f.mutate(func() error {
		f.record("del %s/%s", bk, sv)
		b, s, err := f.server(bk, sv)
		if err != nil {
			return err
		}
		if s.Admin&AdminFMaint == 0 {
			return errors.New("Only servers in maintenance mode can be deleted.")
		}
		b.view.Servers = slices.DeleteFunc(b.view.Servers, func(v ServerView) bool { return v.Name == sv })
		delete(b.cookies, sv)
		return nil
	})
}

// serverView returns a copy of one server's view.
func (f *fakeControl) serverView(bk, sv string) ServerView {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, s, err := f.server(bk, sv)
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return *s
}
