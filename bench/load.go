package bench

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/valyala/fasthttp"
)

// Load describes a closed-loop keep-alive load: Users virtual users, each
// with one connection and its own cookie jar, send requests back to back
// until Duration passes or Requests have been sent in total.
type Load struct {
	Target   string        // host:port of the proxy under test
	Path     string        // request target, "/" when empty
	Host     string        // Host field, Target when empty
	Users    int           // virtual users (connections), at least 1
	Duration time.Duration // how long to run when Requests is 0
	Requests int           // total requests; 0 means run for Duration
	Cookie   string        // persistence cookie name each user keeps and checks, "" for none
	Timeout  time.Duration // per-request timeout, 5s when zero
	// Probe, when set, sends one more request every Probe on a new
	// connection of its own (Connection: close) while the users run, and
	// times it from the dial to the end of the response: what a client
	// that is not already connected waits for (Result.Probe).
	Probe time.Duration
}

// Result is what a load run measured. Latencies are in microseconds.
type Result struct {
	Requests uint64            // responses received
	Errors   uint64            // transport errors and timeouts
	Non2xx   uint64            // responses with a status outside 200-299
	Unpinned uint64            // responses from another server than the one the user's cookie names
	Servers  map[string]uint64 // responses per x-server value
	Elapsed  time.Duration
	P50      int64
	P99      int64
	P999     int64
	Max      int64
	Probe    ProbeResult // the new-connection probe, when Load.Probe is set
}

// ProbeResult is what the new-connection probe measured, in microseconds.
type ProbeResult struct {
	Requests, Errors   uint64
	P50, P90, P99, Max int64
}

// Rate returns the responses per second of the run.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// ErrProbeStatus counts a probe answered outside 200-299 as an error.
var ErrProbeStatus = errors.New("bench: probe answered with a non-2xx status")

// ErrNoTarget is returned by Run for a Load without a Target.
var ErrNoTarget = errors.New("bench: load has no target")

// user is one virtual user: its connection, its jar and its tallies. It is
// owned by one goroutine.
type user struct {
	client  *fasthttp.HostClient
	cookie  []byte // "name=value" of the persistence cookie, empty until set
	pinned  string // server that answered when the cookie was set
	hist    *hdrhistogram.Histogram
	servers map[string]uint64
	res     Result
}

// Run executes the load and returns what it measured. It stops early when
// ctx is done.
func Run(ctx context.Context, l Load) (*Result, error) {
	if l.Target == "" {
		return nil, ErrNoTarget
	}
	l.Users = max(l.Users, 1)
	if l.Path == "" {
		l.Path = "/"
	}
	if l.Host == "" {
		l.Host = l.Target
	}
	if l.Timeout <= 0 {
		l.Timeout = 5 * time.Second
	}
	if l.Requests == 0 && l.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.Duration)
		defer cancel()
	}

	var budget chan struct{} // one token per request when Requests is set
	if l.Requests > 0 {
		budget = make(chan struct{}, l.Requests)
		for range l.Requests {
			budget <- struct{}{}
		}
		close(budget)
	}

	users := make([]*user, l.Users)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range users {
		u := &user{
			client: &fasthttp.HostClient{
				Addr:                     l.Target,
				MaxConns:                 1,
				ReadTimeout:              l.Timeout,
				WriteTimeout:             l.Timeout,
				NoDefaultUserAgentHeader: true,
			},
			hist:    hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3),
			servers: map[string]uint64{},
		}
		users[i] = u
		wg.Add(1)
		go func() {
			defer wg.Done()
			u.run(ctx, &l, budget)
		}()
	}
	var probe ProbeResult
	probeDone := make(chan struct{})
	probeCtx, stopProbe := context.WithCancel(ctx)
	go func() {
		defer close(probeDone)
		if l.Probe > 0 {
			probe = runProbe(probeCtx, &l)
		}
	}()
	wg.Wait()
	stopProbe()
	<-probeDone

	total := &Result{Elapsed: time.Since(start), Servers: map[string]uint64{}, Probe: probe}
	merged := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
	for _, u := range users {
		total.Requests += u.res.Requests
		total.Errors += u.res.Errors
		total.Non2xx += u.res.Non2xx
		total.Unpinned += u.res.Unpinned
		for s, n := range u.servers {
			total.Servers[s] += n
		}
		merged.Merge(u.hist)
		u.client.CloseIdleConnections()
	}
	total.P50 = merged.ValueAtQuantile(50)
	total.P99 = merged.ValueAtQuantile(99)
	total.P999 = merged.ValueAtQuantile(99.9)
	total.Max = merged.Max()
	return total, nil
}

func (u *user) run(ctx context.Context, l *Load, budget chan struct{}) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	for ctx.Err() == nil {
		if budget != nil {
			if _, ok := <-budget; !ok {
				return
			}
		}
		req.Reset()
		req.SetRequestURI(l.Path)
		req.Header.SetHost(l.Host)
		if len(u.cookie) > 0 {
			req.Header.SetBytesV("Cookie", u.cookie)
		}
		t0 := time.Now()
		err := u.client.DoTimeout(req, resp, l.Timeout)
		if err != nil {
			u.res.Errors++
			continue
		}
		_ = u.hist.RecordValue(time.Since(t0).Microseconds())
		u.res.Requests++
		if c := resp.StatusCode(); c < 200 || c > 299 {
			u.res.Non2xx++
		}
		server := string(resp.Header.Peek("x-server"))
		u.servers[server]++
		if l.Cookie != "" {
			u.track(l.Cookie, server, resp)
		}
	}
}

// track keeps the user's persistence cookie and counts responses that come
// from another server than the one the cookie was set by.
func (u *user) track(name, server string, resp *fasthttp.Response) {
	if len(u.cookie) > 0 && server != u.pinned {
		u.res.Unpinned++
	}
	var set []byte
	resp.Header.VisitAllCookie(func(key, value []byte) {
		if string(key) != name {
			return
		}
		c := fasthttp.AcquireCookie()
		defer fasthttp.ReleaseCookie(c)
		if c.ParseBytes(value) == nil {
			set = append(set[:0], key...)
			set = append(set, '=')
			set = append(set, c.Value()...)
		}
	})
	if set != nil {
		u.cookie = set
		u.pinned = server
	}
}

// SortedServers returns the server names of r.Servers in order.
func (r *Result) SortedServers() []string {
	names := make([]string, 0, len(r.Servers))
	for s := range r.Servers {
		names = append(names, s)
	}
	sort.Strings(names)
	return names
}

// runProbe sends a request on a new connection every l.Probe until ctx
// ends, and returns their latencies.
func runProbe(ctx context.Context, l *Load) ProbeResult {
	var r ProbeResult
	hist := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
	req := "GET " + l.Path + " HTTP/1.1\r\nHost: " + l.Host + "\r\nConnection: close\r\n\r\n"
	tk := time.NewTicker(l.Probe)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			r.P50, r.P90 = hist.ValueAtQuantile(50), hist.ValueAtQuantile(90)
			r.P99, r.Max = hist.ValueAtQuantile(99), hist.Max()
			return r
		case <-tk.C:
		}
		t0 := time.Now()
		if err := probeOnce(l, req); err != nil {
			r.Errors++
			continue
		}
		r.Requests++
		_ = hist.RecordValue(time.Since(t0).Microseconds())
	}
}

// probeOnce dials, sends req and reads the whole response.
func probeOnce(l *Load, req string) error {
	c, err := net.DialTimeout("tcp", l.Target, l.Timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(l.Timeout))
	if _, err := io.WriteString(c, req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return ErrProbeStatus
	}
	return nil
}
