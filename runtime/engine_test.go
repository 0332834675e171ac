package runtime

import (
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cookieTest is a tether with backend bk over origins s1 and s2 (and a
// spare origin s3 that no server points to at first), and one client
// connection.
type cookieTest struct {
	t          *testing.T
	tt         *tether
	sock       string
	s1, s2, s3 *origin
	hc         *httpConn
}

func newCookieTest(t *testing.T) *cookieTest {
	s1, s2, s3 := startOrigin(t, "s1"), startOrigin(t, "s2"), startOrigin(t, "s3")
	p := freePorts(t, 2)
	tt := startTether(t, cookieConfig(p[0].(int), p[1].(int), s1.addr.String(), s2.addr.String()))
	return &cookieTest{t: t, tt: tt, sock: tt.socket(0), s1: s1, s2: s2, s3: s3, hc: dialHTTP(t, tt.front)}
}

// cookieFor returns the SRVID cookie the proxy inserts for server name,
// making requests without a cookie until that server answers.
func (ct *cookieTest) cookieFor(name string) string {
	ct.t.Helper()
	for range 20 {
		r := ct.hc.mustGet(ct.t, "")
		if r.server == name {
			return insertedValue(ct.t, r)
		}
	}
	ct.t.Fatalf("%s never answered a request without cookie", name)
	return ""
}

// insertedValue returns the SRVID value of the one Set-Cookie of r.
func insertedValue(t *testing.T, r reply) string {
	t.Helper()
	if len(r.setCookie) != 1 {
		t.Fatalf("Set-Cookie fields %q, want one", r.setCookie)
	}
	v, ok := strings.CutPrefix(r.setCookie[0], "SRVID=")
	v, _, _ = strings.Cut(v, ";")
	if !ok || v == "" {
		t.Fatalf("Set-Cookie %q is not a SRVID value", r.setCookie[0])
	}
	return v
}

// servedBy makes n requests with the cookie and returns the servers that
// answered, in order.
func (ct *cookieTest) servedBy(cookie string, n int) []string {
	ct.t.Helper()
	var names []string
	for range n {
		names = append(names, ct.hc.mustGet(ct.t, cookie).server)
	}
	return names
}

func only(names []string, name string) bool {
	return len(names) > 0 && !slices.ContainsFunc(names, func(n string) bool { return n != name })
}

func TestEngineStates(t *testing.T) {
	t.Parallel()
	ct := newCookieTest(t)
	c1 := ct.cookieFor("s1")
	if want := dynamicValue("mysecretphrase", ct.s1.addr); c1 != want {
		t.Fatalf("s1 cookie %q, want XXH64 value %q", c1, want)
	}
	sc1 := "SRVID=" + c1

	mustCLI(t, ct.sock, "set server bk/s1 state drain")
	if got := ct.servedBy(sc1, 4); !only(got, "s1") {
		t.Errorf("drain: a persistent request went to %q, want s1", got)
	}
	if got := ct.servedBy("", 4); !only(got, "s2") {
		t.Errorf("drain: new requests went to %q, want s2", got)
	}

	mustCLI(t, ct.sock, "set server bk/s1 state maint")
	r := ct.hc.mustGet(t, sc1)
	if r.server != "s2" {
		t.Errorf("maint: persistent request went to %s, want s2", r.server)
	}
	if v := insertedValue(t, r); v != dynamicValue("mysecretphrase", ct.s2.addr) {
		t.Errorf("maint: reinserted cookie %q, want s2's", v)
	}

	mustCLI(t, ct.sock, "set server bk/s1 state ready")
	if got := ct.servedBy(sc1, 4); !only(got, "s1") {
		t.Errorf("ready: persistent requests went to %q, want s1", got)
	}
	if got := ct.servedBy("", 4); !slices.Contains(got, "s1") || !slices.Contains(got, "s2") {
		t.Errorf("ready: new requests went to %q, want both", got)
	}

	mustCLI(t, ct.sock, "disable server bk/s1")
	if r := ct.hc.mustGet(t, sc1); r.server != "s2" {
		t.Errorf("disable server: persistent request went to %s", r.server)
	}
	mustCLI(t, ct.sock, "enable server bk/s1")
	if r := ct.hc.mustGet(t, sc1); r.server != "s1" {
		t.Errorf("enable server: persistent request went to %s", r.server)
	}
}

func TestEngineHealth(t *testing.T) {
	t.Parallel()
	ct := newCookieTest(t)
	sc1 := "SRVID=" + ct.cookieFor("s1")

	mustCLI(t, ct.sock, "set server bk/s1 health stopping")
	if got := ct.servedBy(sc1, 3); !only(got, "s1") {
		t.Errorf("stopping: persistent requests went to %q, want s1", got)
	}
	if got := ct.servedBy("", 4); !only(got, "s2") {
		t.Errorf("stopping: new requests went to %q, want s2", got)
	}
	mustCLI(t, ct.sock, "set server bk/s1 health down")
	if got := ct.servedBy(sc1, 3); !only(got, "s2") {
		t.Errorf("down: persistent requests went to %q, want s2", got)
	}
	if got := cli(t, ct.sock, "show servers state bk"); !strings.Contains(got, "\n3 bk 1 s1 "+ct.s1.addr.Addr().String()+" 0 0 ") {
		t.Errorf("down: show servers state\n%s", got)
	}
	mustCLI(t, ct.sock, "set server bk/s1 health up")
	if got := ct.servedBy(sc1, 3); !only(got, "s1") {
		t.Errorf("up: persistent requests went to %q, want s1", got)
	}
}

func TestEngineAddr(t *testing.T) {
	t.Parallel()
	ct := newCookieTest(t)
	old := "SRVID=" + ct.cookieFor("s1")
	reply := cli(t, ct.sock, "set server bk/s1 addr 127.0.0.1 port "+strconv.Itoa(ct.s3.port()))
	if reply != "no need to change the addr, port changed from '"+strconv.Itoa(ct.s1.port())+"' to '"+strconv.Itoa(ct.s3.port())+"' by 'stats socket command'\n\n" {
		t.Fatalf("set server addr: %q", reply)
	}
	// The old value no longer matches: the request is balanced and gets the
	// value of whichever server takes it.
	if r := ct.hc.mustGet(t, old); len(r.setCookie) != 1 {
		t.Errorf("the old cookie of s1 got Set-Cookie %q, want a new cookie", r.setCookie)
	}
	newValue := dynamicValue("mysecretphrase", ct.s3.addr)
	if v := ct.cookieFor("s3"); v != newValue {
		t.Errorf("s1 at the new address inserted %q, want %q", v, newValue)
	}
	if got := ct.servedBy("SRVID="+newValue, 4); !only(got, "s3") {
		t.Errorf("new cookie went to %q, want the new origin s3", got)
	}
	if n := ct.s1.requests.Load(); n != 1 {
		t.Errorf("the old origin had %d requests, want the 1 that got the cookie", n)
	}
	if stat := cli(t, ct.sock, "show stat"); !strings.Contains(stat, ct.s3.addr.String()+","+newValue+",") {
		t.Errorf("show stat does not show s1's new address and cookie:\n%s", stat)
	}
}

func TestEngineWeight(t *testing.T) {
	t.Parallel()
	ct := newCookieTest(t)
	mustCLI(t, ct.sock, "set server bk/s2 weight 0")
	if got := ct.servedBy("", 6); !only(got, "s1") {
		t.Errorf("s2 weight 0: new requests went to %q", got)
	}
	if got := cli(t, ct.sock, "get weight bk/s2"); got != "0 (initial 1)\n\n" {
		t.Errorf("get weight: %q", got)
	}
	mustCLI(t, ct.sock, "set weight bk/s2 100%")
	if got := ct.servedBy("", 6); !slices.Contains(got, "s2") {
		t.Errorf("s2 weight back: new requests went to %q", got)
	}
}

func TestEngineDynamicCookie(t *testing.T) {
	t.Parallel()
	ct := newCookieTest(t)
	sc1 := "SRVID=" + ct.cookieFor("s1")

	mustCLI(t, ct.sock, "disable dynamic-cookie backend bk")
	r := ct.hc.mustGet(t, "")
	if !slices.Equal(r.setCookie, []string{removal}) {
		t.Errorf("disabled: Set-Cookie %q, want the removal cookie", r.setCookie)
	}
	r = ct.hc.mustGet(t, sc1)
	if !slices.Equal(r.setCookie, []string{removal}) {
		t.Errorf("disabled: old cookie got Set-Cookie %q, want the removal cookie", r.setCookie)
	}

	mustCLI(t, ct.sock, "enable dynamic-cookie backend bk")
	if got := ct.servedBy(sc1, 3); !only(got, "s1") {
		t.Errorf("enabled again: the old cookie went to %q, want s1", got)
	}

	mustCLI(t, ct.sock, "set dynamic-cookie-key backend bk other\\;key")
	r = ct.hc.mustGet(t, sc1)
	want := map[string]string{
		"s1": dynamicValue("other;key", ct.s1.addr),
		"s2": dynamicValue("other;key", ct.s2.addr),
	}
	if v := insertedValue(t, r); v != want[r.server] {
		t.Errorf("new key: %s inserted %q, want %q", r.server, v, want[r.server])
	}
	if got := ct.servedBy("SRVID="+want["s2"], 3); !only(got, "s2") {
		t.Errorf("new key: s2's new value went to %q", got)
	}
	stat := cli(t, ct.sock, "show stat")
	for name, v := range want {
		if !strings.Contains(stat, "\nbk,"+name+",") || !strings.Contains(stat, ","+v+",") {
			t.Errorf("show stat lacks %s's cookie %s:\n%s", name, v, stat)
		}
	}
}

func TestEngineAddDelServer(t *testing.T) {
	t.Parallel()
	ct := newCookieTest(t)
	if got := cli(t, ct.sock, "add server bk/s3 "+ct.s3.addr.String()); got != "New server registered.\n\n" {
		t.Fatalf("add server: %q", got)
	}
	mustCLI(t, ct.sock, "disable server bk/s1")
	mustCLI(t, ct.sock, "disable server bk/s2")
	if r, err := ct.hc.get(""); err != nil || r.status != 503 {
		t.Fatalf("with every server in maintenance: %+v, %v; want 503", r, err)
	}
	ct.hc = dialHTTP(t, ct.tt.front)
	mustCLI(t, ct.sock, "enable server bk/s3")
	r := ct.hc.mustGet(t, "")
	want := dynamicValue("mysecretphrase", ct.s3.addr)
	if r.server != "s3" || insertedValue(t, r) != want {
		t.Fatalf("added server: %s set %q, want s3 with its dynamic cookie %s", r.server, r.setCookie, want)
	}
	if got := cli(t, ct.sock, "del server bk/s3"); got != "Only servers in maintenance mode can be deleted.\n" {
		t.Errorf("del server in use: %q", got)
	}
	mustCLI(t, ct.sock, "enable server bk/s1")
	mustCLI(t, ct.sock, "disable server bk/s3")
	// The engine releases the server's last request just after writing its
	// response, so a script may see it attached for a moment, as with HAProxy.
	got := cli(t, ct.sock, "del server bk/s3")
	for i := 0; i < 100 && got == "Server still has connections attached to it, cannot remove it.\n"; i++ {
		time.Sleep(10 * time.Millisecond)
		got = cli(t, ct.sock, "del server bk/s3")
	}
	if got != "Server deleted.\n" {
		t.Fatalf("del server: %q", got)
	}
	if got := ct.servedBy("SRVID="+want, 3); !only(got, "s1") {
		t.Errorf("after del server, its cookie went to %q", got)
	}
	if got := cli(t, ct.sock, "get weight bk/s3"); got != "No such server.\n\n" {
		t.Errorf("get weight of a deleted server: %q", got)
	}
}

// TestDynamicValueVector checks the tests' own cookie computation against
// the value observed on HAProxy 2.6 (spec section 4.1).
func TestDynamicValueVector(t *testing.T) {
	t.Parallel()
	if got := dynamicValue("mysecretphrase", netip.MustParseAddrPort("127.0.0.1:8080")); got != "7b34996d0d4e7dd9" {
		t.Errorf("got %s, want 7b34996d0d4e7dd9", got)
	}
}

// TestEngineShow checks that the show commands report the engine's
// figures: requests counted per server and in total, connections, the
// process id.
func TestEngineShow(t *testing.T) {
	t.Parallel()
	ct := newCookieTest(t)
	sc1 := "SRVID=" + ct.cookieFor("s1")
	before := ct.s1.requests.Load()
	ct.servedBy(sc1, 5)
	total := ct.s1.requests.Load() + ct.s2.requests.Load()

	_, rows := statRows(t, cli(t, ct.sock, "show stat"))
	col := func(proxy, sv string, i int) string {
		for _, r := range rows {
			if r[0] == proxy && r[1] == sv {
				return r[i]
			}
		}
		t.Fatalf("no row %s/%s", proxy, sv)
		return ""
	}
	if got, want := col("bk", "s1", 7), strconv.FormatInt(before+5, 10); got != want {
		t.Errorf("s1 stot %s, want %s", got, want)
	}
	if got, want := col("bk", "BACKEND", 7), strconv.FormatInt(total, 10); got != want {
		t.Errorf("bk stot %s, want %s", got, want)
	}
	if got := col("fe", "FRONTEND", 4); got != "1" {
		t.Errorf("fe scur %s, want the 1 client connection", got)
	}
	if got := col("bk", "BACKEND", 76); got != "roundrobin" {
		t.Errorf("algo %q", got)
	}

	info := cli(t, ct.sock, "show info")
	for _, want := range []string{"Name: tether\n", "Pid: " + strconv.Itoa(os.Getpid()) + "\n",
		"CumReq: " + strconv.FormatInt(total, 10) + "\n", "CurrConns: 1\n", "Listeners: 1\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("show info lacks %q:\n%s", want, info)
		}
	}
	if got := cli(t, ct.sock, "show backend"); got != "# name\nbk\n\n" {
		t.Errorf("show backend: %q", got)
	}
}
