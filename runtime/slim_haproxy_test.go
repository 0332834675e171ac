package runtime

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestDifferentialSlim compares the slim column of haproxy 2.6 and tether:
// a frontend's maxconn, or the global one; a backend's fullconn, or a
// tenth of the maxconn of the frontends that can send requests to it (a
// frontend counted once however many rules name the backend), defaults
// and listen sections included.
func TestDifferentialSlim(t *testing.T) {
	t.Parallel()
	config := func(stats, f1, f2, f3 int) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
    maxconn 4000
`+testDefaults+`    fullconn 33
frontend f1
    bind 127.0.0.1:%d
    maxconn 300
    default_backend b1
frontend f2
    bind 127.0.0.1:%d
    use_backend b1 if { path_beg /one }
    use_backend b3 if { path_beg /three }
    use_backend b1 if { path_beg /again }
    default_backend b2
backend b1
    fullconn 0
    server s1 127.0.0.1:1
backend b2
    fullconn 0
    server s2 127.0.0.1:1
backend b3
    server s3 127.0.0.1:1
backend b4
    fullconn 0
    server s4 127.0.0.1:1
listen l
    bind 127.0.0.1:%d
    maxconn 123
    fullconn 0
    server s5 127.0.0.1:1
`, stats, f1, f2, f3)
	}
	p := freePorts(t, 8)
	hsock := fmt.Sprintf("127.0.0.1:%d", p[0])
	startHAProxy(t, config(p[0].(int), p[1].(int), p[2].(int), p[3].(int)), hsock)
	tt := startTether(t, config(p[4].(int), p[5].(int), p[6].(int), p[7].(int)))
	slim := func(sock string) string {
		var b strings.Builder
		header, rows := statRows(t, cli(t, sock, "show stat"))
		for _, r := range rows {
			if r[1] == "FRONTEND" || r[1] == "BACKEND" {
				fmt.Fprintf(&b, "%s/%s: slim=%s\n", r[0], r[1], r[slices.Index(header, "slim")])
			}
		}
		return b.String()
	}
	want, got := slim(hsock), slim(tt.socket(0))
	if got != want {
		t.Errorf("slim\ntether\n%s\nhaproxy\n%s", got, want)
	}
}

// TestDifferentialNodeDescription compares the node and description lines
// of `show info` with haproxy 2.6 for a global section that sets them.
func TestDifferentialNodeDescription(t *testing.T) {
	t.Parallel()
	config := func(stats, front int) string {
		return fmt.Sprintf("global\n    stats socket ipv4@127.0.0.1:%d level admin\n    node edge-1.example\n    description  the  edge proxy\n"+
			testDefaults+"frontend f\n    bind 127.0.0.1:%d\n    default_backend b\nbackend b\n    server s 127.0.0.1:1\n", stats, front)
	}
	p := freePorts(t, 4)
	hsock := fmt.Sprintf("127.0.0.1:%d", p[0])
	startHAProxy(t, config(p[0].(int), p[1].(int)), hsock)
	tt := startTether(t, config(p[2].(int), p[3].(int)))
	lines := func(sock string) []string {
		var out []string
		for _, l := range strings.Split(cli(t, sock, "show info"), "\n") {
			if strings.HasPrefix(l, "node:") || strings.HasPrefix(l, "description:") {
				out = append(out, l)
			}
		}
		return out
	}
	want, got := lines(hsock), lines(tt.socket(0))
	if len(want) != 2 || !slices.Equal(got, want) {
		t.Errorf("show info: tether %q, haproxy %q", got, want)
	}
}

// TestDifferentialProxyIDs compares the proxies' ids (iid) with haproxy
// 2.6: those an `id` sets, and the others numbered around them.
func TestDifferentialProxyIDs(t *testing.T) {
	t.Parallel()
	h, g := startSides(t, func(stats, front int) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
`+testDefaults+`frontend fe
    bind 127.0.0.1:%d
    id 3
    description the front door
    default_backend b1
backend b1
    server s 127.0.0.1:1
backend b2
    id 2
    server s 127.0.0.1:1
backend b3
    description spare
    server s 127.0.0.1:1
backend b4
    id 100
    server s 127.0.0.1:1
backend b5
    server s 127.0.0.1:1
`, stats, front)
	})
	ids := func(sock string) string {
		return statColumns(t, sock, map[string][]string{"FRONTEND": {"iid"}, "BACKEND": {"iid"}})
	}
	if want, got := ids(h.sock), ids(g.sock); got != want {
		t.Errorf("ids\ntether\n%s\nhaproxy\n%s", got, want)
	}
}
