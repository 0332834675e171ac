package runtime

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDifferentialChecksRandom drives haproxy and tether with the same
// random steps: a check target changes its answer, or the runtime API
// changes a server's state, health or checks (trackers included). After
// each step the check columns of both must agree; at the end, every line
// both logged, backend by backend, in order. The suite runs one fixed
// seed; TETHER_CHECK_SEED=N (and TETHER_CHECK_STEPS=M) run another.
func TestDifferentialChecksRandom(t *testing.T) {
	t.Parallel()
	seed, steps := uint64(3), 15
	if v, err := strconv.ParseUint(os.Getenv("TETHER_CHECK_SEED"), 10, 64); err == nil {
		seed = v
	}
	if v, err := strconv.Atoi(os.Getenv("TETHER_CHECK_STEPS")); err == nil && v > 0 {
		steps = v
	}
	r := rand.New(rand.NewPCG(seed, 1))
	targets := []*checkTarget{startCheckTarget(t, 200), startCheckTarget(t, 200), startCheckTarget(t, 200), startCheckTarget(t, 200)}
	config := func(stats, front int, log string) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
    log %s local0
`+testDefaults+`    log global
frontend fe
    bind 127.0.0.1:%d
    default_backend web
backend web
    option httpchk
    http-check disable-on-404
    server a %s check inter 100ms rise 2 fall 2
    server b %s check inter 100ms rise 1 fall 3
    server c %s check inter 100ms rise 3 fall 1 backup
backend mirror
    option httpchk
    http-check disable-on-404
    server ta %s track web/a
    server tc %s track web/c
    server d %s check inter 100ms
`, stats, log, front, targets[0].addr, targets[1].addr, targets[2].addr, targets[0].addr, targets[2].addr, targets[3].addr)
	}
	p := freePorts(t, 4)
	hlog, tlog := startEventLog(t), startEventLog(t)
	hsock := fmt.Sprintf("127.0.0.1:%d", p[0])
	startHAProxy(t, config(p[0].(int), p[1].(int), hlog.pc.LocalAddr().String()), hsock)
	tt := startTether(t, config(p[2].(int), p[3].(int), tlog.pc.LocalAddr().String()))
	tsock := tt.socket(0)
	servers := []string{"web/a", "web/b", "web/c", "mirror/ta", "mirror/tc", "mirror/d"}
	codes := []int{200, 503, 404, 0}
	var done []string
	for step := range steps {
		var what string
		switch k := r.IntN(5); k {
		case 0, 1:
			i, c := r.IntN(len(targets)), codes[r.IntN(len(codes))]
			targets[i].code.Store(int32(c))
			what = fmt.Sprintf("target %d answers %d", i, c)
		default:
			sv := servers[r.IntN(len(servers))]
			cmds := []string{"set server " + sv + " state ready", "set server " + sv + " state drain", "set server " + sv + " state maint",
				"set server " + sv + " health up", "set server " + sv + " health down", "set server " + sv + " health stopping",
				"disable health " + sv, "enable health " + sv}
			what = cmds[r.IntN(len(cmds))]
			if h, g := cli(t, hsock, what), cli(t, tsock, what); h != g {
				t.Errorf("step %d %q: tether %q, haproxy %q", step, what, g, h)
			}
		}
		done = append(done, what)
		time.Sleep(600 * time.Millisecond)
		var want, got string
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if want, got = checkColumns(t, hsock), checkColumns(t, tsock); got == want {
				break
			}
		}
		if got != want {
			t.Fatalf("after %s: columns\ntether\n%s\nhaproxy\n%s", strings.Join(done, "; "), got, want)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if w, g := byBackend(hlog.drain()), byBackend(tlog.drain()); joinGroups(w) != joinGroups(g) {
		t.Errorf("after %s: logged\ntether\n%s\nhaproxy\n%s", strings.Join(done, "; "), joinGroups(g), joinGroups(w))
	}
}
