package balance

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether/engine/config"
)

// dynamicStep is either a number of requests to send or a runtime API
// command ("weight <server> <n>" or "state <server> ready|drain|maint").
type dynamicStep struct {
	reqs int
	cmd  string
}

// TestHAProxyDynamic changes weights and states through haproxy's runtime
// API between requests, makes a new Table and Picker (from the previous one)
// after each change, and checks that both keep choosing the same servers.
func TestHAProxyDynamic(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not on PATH: skipping the differential test against HAProxy 2.6")
	}
	steps := []dynamicStep{
		{reqs: 10}, {cmd: "weight 1 5"}, {reqs: 17}, {cmd: "state 0 maint"}, {reqs: 9},
		{cmd: "state 0 ready"}, {reqs: 15}, {cmd: "weight 2 0"}, {reqs: 7}, {cmd: "state 3 drain"},
		{reqs: 5}, {cmd: "weight 2 4"}, {cmd: "state 3 ready"}, {reqs: 30}, {cmd: "weight 0 1"},
		{cmd: "weight 1 200"}, {reqs: 50}, {cmd: "state 1 maint"}, {cmd: "state 0 maint"}, {cmd: "state 2 maint"},
		{reqs: 4}, {cmd: "state 3 maint"}, {reqs: 4}, {cmd: "state 2 ready"}, {cmd: "state 1 ready"}, {reqs: 40},
	}
	staticSteps := []dynamicStep{
		{reqs: 7}, {cmd: "state 1 maint"}, {reqs: 9}, {cmd: "state 1 ready"}, {reqs: 5}, {cmd: "state 0 drain"},
		{reqs: 6}, {cmd: "weight 2 0"}, {reqs: 3}, {cmd: "weight 2 1"}, {cmd: "state 0 ready"}, {reqs: 20},
	}
	for _, c := range []struct {
		balance string
		steps   []dynamicStep
	}{
		{"roundrobin", steps},
		{"static-rr", staticSteps},
		{"leastconn", steps},
		{"first", staticSteps},
	} {
		t.Run(c.balance, func(t *testing.T) {
			runDynamic(t, bin, c.balance, c.steps)
		})
	}
}

// startListen starts haproxy with a runtime API socket and one listen
// section "l" whose balancing is given by lines (e.g. "balance uri") and
// whose servers s1, s2, ... take the options opts, each in front of an
// origin of its own. It returns the section as tether reads it, the server
// names, the runtime API socket and the address to send requests to.
func startListen(t *testing.T, bin, lines string, opts []string) (px *config.Proxy, names []string, sock, addr string) {
	sock = filepath.Join(t.TempDir(), "stats.sock")
	// The origins listen first: a port freePort has just closed could
	// otherwise go to one of them, which would then answer for haproxy.
	names = make([]string, len(opts))
	origins := make([]string, len(opts))
	for i := range opts {
		names[i] = "s" + strconv.Itoa(i+1)
		origins[i] = startOrigin(t, names[i])
	}
	port := freePort(t)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global\n    nbthread 1\n    stats socket %s level admin\n", sock)
	cfg.WriteString("defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n")
	fmt.Fprintf(&cfg, "listen l\n    bind 127.0.0.1:%d\n    %s\n", port, lines)
	for i, o := range opts {
		fmt.Fprintf(&cfg, "    server %s %s %s\n", names[i], origins[i], o)
	}
	model := startModel(t, bin, cfg.String(), []int{port})
	return model.Backend("l"), names, sock, "127.0.0.1:" + strconv.Itoa(port)
}

// runDynamic runs one scenario of TestHAProxyDynamic.
func runDynamic(t *testing.T, bin, balance string, steps []dynamicStep) {
	opts := make([]string, 4)
	for i := range opts {
		opts[i] = "weight " + strconv.Itoa(3-i%3)
	}
	px, names, sock, addr := startListen(t, bin, "balance "+balance, opts)
	tab, srv, counters := tableOf(t, px)
	p := tab.NewPicker(nil)
	n := 0
	for _, st := range steps {
		if st.cmd != "" {
			f := strings.Fields(st.cmd)
			i, _ := strconv.Atoi(f[1])
			switch f[0] {
			case "weight":
				srv[i].Weight, _ = strconv.Atoi(f[2])
				if px.Balance.Algo == config.StaticRR && srv[i].Weight != 0 {
					srv[i].Weight = srv[i].InitWeight
				}
				runtimeCommand(t, sock, "set weight l/"+names[i]+" "+f[2])
			case "state":
				srv[i].State = map[string]State{"ready": Ready, "drain": Drain, "maint": Maint}[f[2]]
				runtimeCommand(t, sock, "set server l/"+names[i]+" state "+f[2])
			}
			tab = rebuild(t, px.Balance, srv, counters)
			p = tab.NewPicker(p)
			continue
		}
		for j := 0; j < st.reqs; j++ {
			n++
			got := send(t, addr, diffRequest{target: "/"})
			want := p.Pick(nil, -1)
			if pickName(names, want) != got {
				t.Fatalf("request %d (step %+v): haproxy chose %s, Pick chose %d", n, st, got, want)
			}
		}
	}
}

// TestHAProxyStaticWeights checks Dynamic against haproxy: `set weight`
// to a value other than 0% and 100% succeeds only for dynamic algorithms.
func TestHAProxyStaticWeights(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not on PATH: skipping the differential test against HAProxy 2.6")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "stats.sock")
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global\n    stats socket %s level admin\n", sock)
	cfg.WriteString("defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n")
	port := freePort(t)
	fmt.Fprintf(&cfg, "frontend f\n    bind 127.0.0.1:%d\n    default_backend b0\n", port)
	for k, b := range every {
		arg := map[config.Algo]string{config.URLParam: " id", config.Hdr: "(x-user)"}[b.Algo]
		fmt.Fprintf(&cfg, "backend b%d\n    balance %s%s\n    hash-type %s\n    server s 127.0.0.1:1 weight 3\n",
			k, algoName(b), arg, [...]string{"map-based", "consistent"}[b.Hash.Method])
	}
	path := filepath.Join(dir, "w.cfg")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	startHAProxy(t, bin, path, []int{port})
	for k, b := range every {
		reply := runtimeReply(t, sock, fmt.Sprintf("set weight b%d/s 2", k))
		if accepted := reply == ""; accepted != Dynamic(b) {
			t.Errorf("%s: haproxy replied %q, Dynamic = %v", name(b), reply, Dynamic(b))
		}
	}
}

// runtimeCommand sends one command to haproxy's stats socket and fails on
// a reply other than an empty line.
func runtimeCommand(t *testing.T, sock, cmd string) {
	t.Helper()
	if r := runtimeReply(t, sock, cmd); r != "" {
		t.Fatalf("%s: %s", cmd, r)
	}
}

// runtimeReply sends one command to haproxy's stats socket and returns its
// reply without surrounding white space. haproxy may bind the socket after
// the listening ports startHAProxy waits for, so the first dial waits for
// the socket for a few seconds.
func runtimeReply(t *testing.T, sock, cmd string) string {
	t.Helper()
	var c net.Conn
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err = net.DialTimeout("unix", sock, 2*time.Second); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		t.Fatal(err)
	}
	reply, err := io.ReadAll(bufio.NewReader(c))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(reply))
}
