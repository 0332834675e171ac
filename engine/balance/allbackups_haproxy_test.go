package balance

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether/engine/config"
)

// backupServers are the servers of TestHAProxyBackups: two active servers
// and three backup servers of different weights. The second active server
// has health checks, so that the runtime API can mark it down, spaced so
// that none runs during the test.
var backupServers = []string{"weight 3", "weight 2 check inter 1h", "weight 1 backup", "weight 3 backup", "weight 2 backup"}

// backupSteps take the active servers out through the runtime API (one in
// maintenance, the other down, then both in maintenance), change the backup
// servers while they serve, bring the actives back and take them out again,
// with requests between the changes.
var backupSteps = []dynamicStep{
	{reqs: 6}, {cmd: "state 0 maint"}, {reqs: 4}, {cmd: "health 1 down"}, {reqs: 30}, {cmd: "health 1 up"},
	{cmd: "state 1 maint"},
	{cmd: "state 3 maint"}, {reqs: 12}, {cmd: "state 3 ready"}, {reqs: 14}, {cmd: "state 2 drain"},
	{reqs: 9}, {cmd: "state 2 ready"}, {reqs: 7}, {cmd: "state 0 ready"}, {reqs: 10},
	{cmd: "state 1 ready"}, {reqs: 10}, {cmd: "state 1 maint"}, {cmd: "state 0 maint"}, {reqs: 25},
	{cmd: "state 4 maint"}, {cmd: "state 3 maint"}, {reqs: 6}, {cmd: "state 2 maint"}, {reqs: 3},
	{cmd: "state 4 ready"}, {cmd: "state 0 ready"}, {reqs: 8},
}

// backupWeightSteps add weight changes of backup servers, for the
// algorithms whose weights change at run time.
var backupWeightSteps = []dynamicStep{
	{reqs: 4}, {cmd: "state 0 maint"}, {cmd: "state 1 maint"}, {reqs: 20}, {cmd: "weight 3 1"},
	{reqs: 15}, {cmd: "weight 2 7"}, {reqs: 30}, {cmd: "weight 4 0"}, {reqs: 9}, {cmd: "weight 4 2"},
	{reqs: 12}, {cmd: "state 1 ready"}, {reqs: 8}, {cmd: "state 1 maint"}, {reqs: 20},
}

// TestHAProxyBackups checks every algorithm but random, with and without
// `option allbackups`, while the active servers are out and back through
// haproxy's runtime API: without the option only the first usable backup
// server takes traffic, with it every usable backup server does, in
// haproxy's order.
func TestHAProxyBackups(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not on PATH: skipping the differential test against HAProxy 2.6")
	}
	for _, b := range every {
		if b.Algo == config.Random {
			continue
		}
		arg := map[config.Algo]string{config.URLParam: " user", config.Hdr: "(x-user)"}[b.Algo]
		for _, all := range []bool{false, true} {
			balance := fmt.Sprintf("%s%s\n    hash-type %s", algoName(b), arg,
				[...]string{"map-based", "consistent"}[b.Hash.Method])
			label := name(b)
			if all {
				balance += "\n    option allbackups"
				label += "/allbackups"
			}
			t.Run(label, func(t *testing.T) {
				steps := backupSteps
				if Dynamic(b) {
					steps = append(steps[:len(steps):len(steps)], backupWeightSteps...)
				}
				runBackups(t, bin, balance, steps)
			})
		}
	}
}

// backupRequest is request n of runBackups: every fifth one lacks the
// url_param and the header, so that the hash algorithms also walk their
// map or ring.
func backupRequest(n int) diffRequest {
	r := diffRequest{
		target: fmt.Sprintf("/d%d/f%d.html?user=u%d", n%7, n*5, n*13),
		header: fmt.Sprintf("X-User: id%d", n*11),
		src:    fmt.Sprintf("127.0.%d.%d", n%3, n%200+1),
	}
	if n%5 == 4 {
		r.target, r.header = fmt.Sprintf("/d%d/g%d", n%4, n), ""
	}
	return r
}

// runBackups runs steps through haproxy and through a Picker, a new Table
// after each change as the engine makes one, like runDynamic but over
// backupServers and varied requests.
func runBackups(t *testing.T, bin, balance string, steps []dynamicStep) {
	px, names, sock, addr := startListen(t, bin, "balance "+balance, backupServers)
	// The first check of the checked server may reorder haproxy's
	// leastconn tree among equal servers: wait until it is done.
	for deadline := time.Now().Add(5 * time.Second); strings.Contains(runtimeReply(t, sock, "show stat"), ",INI,"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("haproxy's first check never ended")
		}
	}
	tab, srv, counters := tableOf(t, px)
	p := tab.NewPicker(nil)
	n := 0
	// spread counts the backup servers chosen while every backup server
	// and no active one is usable.
	spread := make(map[int]bool)
	for _, st := range steps {
		if st.cmd != "" {
			f := strings.Fields(st.cmd)
			i, _ := strconv.Atoi(f[1])
			switch f[0] {
			case "weight":
				srv[i].Weight, _ = strconv.Atoi(f[2])
				runtimeCommand(t, sock, "set weight l/"+names[i]+" "+f[2])
			case "state":
				srv[i].State = map[string]State{"ready": Ready, "drain": Drain, "maint": Maint}[f[2]]
				runtimeCommand(t, sock, "set server l/"+names[i]+" state "+f[2])
			case "health":
				srv[i].State = map[string]State{"up": Ready, "down": Down}[f[2]]
				runtimeCommand(t, sock, "set server l/"+names[i]+" health "+f[2])
			}
			tab = rebuild(t, px.Balance, srv, counters)
			p = tab.NewPicker(p)
			continue
		}
		for range st.reqs {
			n++
			r := backupRequest(n)
			got := send(t, addr, r)
			k := diffKey(r, px.Balance)
			want := p.Pick(&k, -1)
			if pickName(names, want) != got {
				t.Fatalf("request %d %+v (step %+v): haproxy chose %s, Pick chose %d", n, r, st, got, want)
			}
			if len(tab.active) == 0 && len(tab.backups) == 3 {
				spread[want] = true
			}
		}
	}
	// Under `option allbackups` several backup servers take that traffic
	// (first always chooses the first one that has a free slot), without
	// it only the first one.
	if want := px.Balance.AllBackups && px.Balance.Algo != config.First; (len(spread) > 1) != want {
		t.Errorf("backup servers chosen %v, want several: %v", spread, want)
	}
}
