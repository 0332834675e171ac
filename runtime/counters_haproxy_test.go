package runtime

import (
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDifferentialTrafficCounters sends the same traffic through haproxy
// 2.6 and tether (keep-alive connections, a request HAProxy refuses, a
// connection that closes without a request) and compares the traffic
// columns of `show stat`: connections, requests, responses by class and
// request errors of the frontend, requests and responses of the backend
// and of each server, and the bytes received (bin, in HAProxy's internal
// form of each request). smax is left out: it counts the harness's own
// probe connections when they overlap.
func TestDifferentialTrafficCounters(t *testing.T) {
	t.Parallel()
	o1, o2 := startOrigin(t, "o1"), startOrigin(t, "o2")
	servers := []string{o1.addr.String(), o2.addr.String()}
	h, g := startSides(t, func(stats, front int) string { return cookieConfig(stats, front, servers...) })
	columns := map[string][]string{
		"FRONTEND": {"conn_tot", "stot", "req_tot", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other", "ereq", "bin"},
		"BACKEND":  {"stot", "lbtot", "req_tot", "hrsp_2xx", "hrsp_4xx", "hrsp_5xx", "bin", "econ", "wretr", "wredis"},
		"server":   {"stot", "lbtot", "req_tot", "hrsp_2xx", "hrsp_5xx", "bin", "econ", "wretr", "wredis"},
	}
	counters := func(d *diffSide) string { return statColumns(t, d.sock, columns) }
	for _, d := range []*diffSide{h, g} {
		for range 3 {
			hc := dialHTTP(t, d.front)
			for range 4 {
				hc.mustGet(t, "")
			}
		}
		c, err := net.Dial("tcp", d.front)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(ioTimeout))
		_, _ = io.WriteString(c, "GARBAGE\r\n\r\n") // a 400
		_, _ = io.ReadAll(c)
		_ = c.Close()
	}
	var want, got string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		// Each proxy counts an exchange as it ends, which may be after the
		// client has read its response.
		if want, got = counters(h), counters(g); got == want {
			return
		}
	}
	t.Errorf("show stat traffic columns:\ntether\n%s\nhaproxy\n%s", got, want)
}

// TestDifferentialConnectReuse compares the connect and reuse columns with
// haproxy 2.6 when both run one thread: three keep-alive clients in turn,
// each left open, balanced over two servers. (With several loops tether
// reuses only the idle connections of the client's own loop, where
// haproxy takes other threads' too, so the counts may differ.)
func TestDifferentialConnectReuse(t *testing.T) {
	t.Parallel()
	o1, o2 := startOrigin(t, "o1"), startOrigin(t, "o2")
	servers := []string{o1.addr.String(), o2.addr.String()}
	h, g := startSides(t, func(stats, front int) string {
		return strings.Replace(cookieConfig(stats, front, servers...), "global\n", "global\n    nbthread 1\n", 1)
	})
	counters := func(d *diffSide) string {
		return statColumns(t, d.sock, map[string][]string{"BACKEND": {"connect", "reuse"}, "server": {"connect", "reuse"}})
	}
	for _, d := range []*diffSide{h, g} {
		for range 3 {
			hc := dialHTTP(t, d.front)
			for range 4 {
				hc.mustGet(t, "")
			}
		}
	}
	var want, got string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if want, got = counters(h), counters(g); got == want {
			return
		}
	}
	t.Errorf("connect and reuse:\ntether\n%s\nhaproxy\n%s", got, want)
}

// statColumns renders columns of the `show stat` rows of the runtime API
// at sock, a line "proxy/name: column=value ..." a row: columns maps the
// row kinds "FRONTEND", "BACKEND" and "server" to the columns shown; rows
// of a kind it does not name are left out.
func statColumns(t *testing.T, sock string, columns map[string][]string) string {
	header, rows := statRows(t, cli(t, sock, "show stat"))
	var b strings.Builder
	for _, r := range rows {
		kind := r[1]
		if kind != "FRONTEND" && kind != "BACKEND" {
			kind = "server"
		}
		names, ok := columns[kind]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "%s/%s:", r[0], r[1])
		for _, name := range names {
			fmt.Fprintf(&b, " %s=%s", name, r[slices.Index(header, name)])
		}
		b.WriteString("\n")
	}
	return b.String()
}
