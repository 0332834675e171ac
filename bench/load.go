package bench

import (
	"context"
	"errors"
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
}

// Rate returns the responses per second of the run.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

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
	wg.Wait()

	total := &Result{Elapsed: time.Since(start), Servers: map[string]uint64{}}
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
