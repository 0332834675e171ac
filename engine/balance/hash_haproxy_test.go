package balance

import (
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// hashTypes lists every `hash-type` line tested against haproxy: each
// method with each function, with and without avalanche, and each method
// alone (consistent alone means sdbm with avalanche).
func hashTypes() []string {
	out := []string{"map-based", "consistent"}
	for _, m := range []string{"map-based", "consistent"} {
		for _, f := range []string{"sdbm", "djb2", "wt6", "crc32"} {
			out = append(out, m+" "+f, m+" "+f+" avalanche")
		}
	}
	return out
}

// hashKeys returns the requests of the hash scenarios for a balance line:
// many distinct keys, and some requests without a key (a missing
// parameter or header), which walk the map or the ring.
func hashKeys(balance string) []diffRequest {
	var r []diffRequest
	for i := 0; i < 70; i++ {
		switch {
		case strings.HasPrefix(balance, "source"):
			r = append(r, diffRequest{target: "/", src: fmt.Sprintf("127.%d.%d.%d", i%4, i*7%256, i*37%250+1)})
		case strings.HasPrefix(balance, "uri"):
			r = append(r, diffRequest{target: fmt.Sprintf("/img/%d/photo-%d.jpg?v=%d", i%9, i*i, i)})
		case strings.HasPrefix(balance, "url_param"):
			r = append(r, diffRequest{target: fmt.Sprintf("/cart?x=1&user=%d&y=2", 1000+i*7919)})
			if i%10 == 0 {
				r = append(r, diffRequest{target: "/cart?nouser=1"}, diffRequest{target: "/cart"})
			}
		case strings.HasPrefix(balance, "hdr(host)"):
			r = append(r, diffRequest{target: "/", header: fmt.Sprintf("Host: www.shop%d.example.org", i*13)})
		default:
			r = append(r, diffRequest{target: "/", header: fmt.Sprintf("X-User: customer-%d", i*104729)})
			if i%10 == 0 {
				r = append(r, diffRequest{target: "/"})
			}
		}
	}
	return r
}

// TestHAProxyHashTypes sends requests through haproxy and Pick for every
// hash algorithm under every hash-type line, over servers of unequal
// weights, some with explicit ids, and for consistent hashing also over
// servers one of which is in maintenance, with a backup, and for both
// methods over weights with a common divisor.
func TestHAProxyHashTypes(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not on PATH: skipping the differential test against HAProxy 2.6")
	}
	balances := []string{"source", "uri", "url_param user", "hdr(x-user)", "hdr(host) use_domain_only"}
	weighted := []string{"weight 1 id 7", "weight 2", "weight 3 id 3", "weight 1", "weight 2 id 12"}
	degraded := []string{"weight 2", "weight 1 disabled", "weight 5 id 40", "backup", "weight 1"}
	even := []string{"weight 2", "weight 4 id 6", "weight 6"} // the map divides by 2, the ring does not
	var scenarios []diffScenario
	for h, ht := range hashTypes() {
		for b, bal := range balances {
			line := bal + "\n    hash-type " + ht
			name := fmt.Sprintf("h%d_b%d", h, b)
			scenarios = append(scenarios, diffScenario{name, line, weighted, hashKeys(bal)})
			if strings.HasPrefix(ht, "consistent") {
				scenarios = append(scenarios, diffScenario{name + "_degraded", line, degraded, hashKeys(bal)})
			}
			if ht == "consistent" || ht == "map-based" {
				scenarios = append(scenarios, diffScenario{name + "_even", line, even, hashKeys(bal)})
			}
		}
	}
	runScenarios(t, bin, scenarios)
}

// TestHAProxyHashDynamic changes servers through haproxy's runtime API
// between requests, for map-based and consistent hashing, and checks that
// keyed requests and the walk of keyless ones keep landing on the servers
// haproxy chooses. Consistent hashing takes weight changes too.
func TestHAProxyHashDynamic(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not on PATH: skipping the differential test against HAProxy 2.6")
	}
	states := []string{
		"", "state 1 maint", "", "state 3 drain", "", "state 1 ready", "", "state 0 maint",
		"state 2 maint", "state 3 maint", "", "state 4 maint", "", "state 3 ready", "state 0 ready", "",
		"state 2 ready", "state 4 ready", "",
	}
	weights := append(states[:len(states):len(states)],
		"weight 2 7", "", "weight 0 0", "", "weight 1 40", "weight 3 1", "", "weight 0 2",
		"state 1 drain", "", "weight 1 0", "weight 2 1", "", "state 1 ready", "")
	for _, c := range []struct {
		hash  string
		steps []string
	}{
		{"map-based", states},
		{"map-based djb2 avalanche", states},
		{"consistent", weights},
		{"consistent wt6", weights},
		{"consistent crc32 avalanche", weights},
	} {
		t.Run(strings.ReplaceAll(c.hash, " ", "_"), func(t *testing.T) {
			runHashDynamic(t, bin, c.hash, c.steps)
		})
	}
}

// runHashDynamic runs one scenario of TestHAProxyHashDynamic: each step is
// a runtime command on a server by index ("state <i> ready|drain|maint" or
// "weight <i> <w>"), or "" to send a round of requests.
func runHashDynamic(t *testing.T, bin, hash string, steps []string) {
	opts := []string{"weight 3 id 9", "weight 1", "weight 2 id 2", "weight 1", "weight 2 backup"}
	px, names, sock, addr := startListen(t, bin, "balance url_param user\n    hash-type "+hash, opts)
	tab, srv, counters := tableOf(t, px)
	p := tab.NewPicker(nil)
	reqs := hashKeys("url_param")[:40]
	for n, st := range steps {
		if st == "" {
			for _, r := range reqs {
				got := send(t, addr, r)
				k := diffKey(r, px.Balance)
				if want := p.Pick(&k, -1); pickName(names, want) != got {
					t.Fatalf("step %d, %s: haproxy chose %s, Pick chose %d", n, r.target, got, want)
				}
			}
			continue
		}
		f := strings.Fields(st)
		i, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "weight":
			srv[i].Weight, _ = strconv.Atoi(f[2])
			runtimeCommand(t, sock, "set weight l/"+names[i]+" "+f[2])
		case "state":
			srv[i].State = map[string]State{"ready": Ready, "drain": Drain, "maint": Maint}[f[2]]
			runtimeCommand(t, sock, "set server l/"+names[i]+" state "+f[2])
		}
		tab = rebuild(t, px.Balance, srv, counters)
		p = tab.NewPicker(p)
	}
}

// TestHAProxyRandomShares checks that random draws on HAProxy's consistent
// hashing ring: haproxy's share of requests per server must match the
// share of the ring nearest to each server's points, which differs from
// the weights (two servers of weight 1 with ids 1 and 2 get about 43% and
// 57%). Requests are random, so shares are compared within five standard
// deviations of a binomial draw.
func TestHAProxyRandomShares(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not on PATH: skipping the differential test against HAProxy 2.6")
	}
	const n = 3000
	sets := [][]string{
		{"", ""},
		{"weight 2 id 5", "weight 1", "weight 1 id 9", "weight 1 disabled"},
	}
	var scenarios []diffScenario
	for k, set := range sets {
		scenarios = append(scenarios, diffScenario{"random" + strconv.Itoa(k), "random(1)", set, nil})
	}
	model, ports := startScenarios(t, bin, scenarios)
	for k, sc := range scenarios {
		px := model.Backend(sc.name)
		servers := serversOf(px)
		tab, err := NewTable(px.Balance, servers, NewCounters(len(servers)))
		if err != nil {
			t.Fatal(err)
		}
		p := tab.NewPicker(nil)
		const draws = 1 << 20
		want := make([]float64, len(servers))
		for range draws {
			want[p.Pick(nil, -1)] += 1.0 / draws
		}
		got := make(map[string]int)
		for range n {
			got[send(t, "127.0.0.1:"+strconv.Itoa(ports[k]), diffRequest{target: "/"})]++
		}
		for i, share := range want {
			name := "s" + strconv.Itoa(i+1)
			sd := math.Sqrt(share * (1 - share) / n)
			if d := float64(got[name])/n - share; math.Abs(d) > 5*sd+1e-9 {
				t.Errorf("%s: haproxy sent %s %d of %d requests, the ring gives it %.3f", sc.name, name, got[name], n, share)
			}
		}
	}
}

// TestHAProxyHashRedispatch checks the avoid argument against haproxy: a
// server refuses connections, and `option redispatch` makes haproxy's last
// retry choose again while avoiding it. Consistent hashing moves the
// request on along the ring; map-based hashing ignores avoid and lands on
// the same server again, so the request fails with a 503.
func TestHAProxyHashRedispatch(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not on PATH: skipping the differential test against HAProxy 2.6")
	}
	const dead = 1
	opts := []string{"weight 2", "weight 3", "weight 1 id 8", "weight 2"}
	names := make([]string, len(opts))
	addrs := make([]string, len(opts))
	for i := range opts {
		names[i] = "s" + strconv.Itoa(i+1)
		addrs[i] = startOrigin(t, names[i])
	}
	addrs[dead] = "127.0.0.1:" + strconv.Itoa(freePort(t)) // nothing listens there
	hashes := []string{"consistent", "consistent djb2", "map-based"}
	ports := freePorts(t, len(hashes))
	var cfg strings.Builder
	cfg.WriteString("global\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 100ms\n    timeout client 5s\n    timeout server 5s\n    retries 1\n    option redispatch\n")
	for k, h := range hashes {
		fmt.Fprintf(&cfg, "listen l%d\n    bind 127.0.0.1:%d\n    balance uri\n    hash-type %s\n", k, ports[k], h)
		for i, o := range opts {
			fmt.Fprintf(&cfg, "    server %s %s %s\n", names[i], addrs[i], o)
		}
	}
	model := startModel(t, bin, cfg.String(), ports)
	for k, h := range hashes {
		px := model.Backend("l" + strconv.Itoa(k))
		servers := serversOf(px)
		tab, err := NewTable(px.Balance, servers, NewCounters(len(servers)))
		if err != nil {
			t.Fatal(err)
		}
		p := tab.NewPicker(nil)
		redispatched := 0
		for i := 0; i < 40; i++ {
			r := diffRequest{target: fmt.Sprintf("/object/%d", i*7)}
			key := diffKey(r, px.Balance)
			want := p.Pick(&key, -1)
			if want == dead {
				redispatched++
				if want = p.Pick(&key, dead); want == dead {
					want = None // the retry fails again
				}
			}
			if got := send(t, "127.0.0.1:"+strconv.Itoa(ports[k]), r); got != pickName(names, want) {
				t.Fatalf("%s, %s: haproxy answered from %s, Pick chose %d", h, r.target, got, want)
			}
		}
		if redispatched == 0 {
			t.Fatalf("%s: no request hashed to the dead server", h)
		}
	}
}
