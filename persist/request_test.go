package persist

import (
	"net/netip"
	"reflect"
	"testing"
)

// now is the wall-clock second of the spec's date vectors (2026-11-21
// 23:50:03 UTC).
const now = 1795305003

// enc is the encoded date of the second s.
func enc(s int64) string {
	d := EncodeDate(DateStamp(s))
	return string(d[:])
}

type exchangeCase struct {
	name string
	ex   exchange
	want outcome
}

func checkExchanges(t *testing.T, tb *Table, cases []exchangeCase) {
	t.Helper()
	for _, tc := range cases {
		if tc.ex.redisp == 0 {
			tc.ex.redisp = -1
		}
		got := run(tb, now, tc.ex)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

func ck(v ...string) []string { return v }

func TestRequestInsertIndirect(t *testing.T) {
	// spec 7.2: cookie SRV insert indirect nocache
	tb := twoServers(Options{Name: "SRV", Mode: Insert, Indirect: true, NoCache: true})
	ins := func(v string) []string { return ck("set-cookie: SRV=" + v + "; path=/") }
	checkExchanges(t, tb, []exchangeCase{
		{"no cookie", exchange{balance: 0}, outcome{0, nil, ins("a"), "NI"}},
		{"valid", exchange{cookies: ck("SRV=b")}, outcome{1, nil, nil, "VN"}},
		{"middle", exchange{cookies: ck("a=1; SRV=b; c=2")}, outcome{1, ck("a=1; c=2"), nil, "VN"}},
		{"unknown", exchange{cookies: ck("SRV=zz"), balance: 1}, outcome{1, nil, ins("b"), "II"}},
		{"empty", exchange{cookies: ck("SRV="), balance: 0}, outcome{0, nil, ins("a"), "II"}},
		{"quoted", exchange{cookies: ck(`SRV="b"`), balance: 0}, outcome{0, nil, ins("a"), "II"}},
		{"bar without date", exchange{cookies: ck("SRV=b|abc")}, outcome{1, nil, nil, "VN"}},
		{"case differs", exchange{cookies: ck("srv=a"), balance: 1}, outcome{1, ck("srv=a"), ins("b"), "NI"}},
		{"blanks", exchange{cookies: ck("SRV = a ; x = y")}, outcome{0, ck("x=y"), nil, "VN"}},
		{"dollar attributes", exchange{cookies: ck("$Version=1; SRV=a; $Path=/; x=1")}, outcome{0, ck("$Version=1; x=1"), nil, "VN"}},
		{"comma", exchange{cookies: ck("SRV=a, x=1")}, outcome{0, ck("x=1"), nil, "VN"}},
		{"quoted delimiter", exchange{cookies: ck(`x="a;b"; SRV=a`)}, outcome{0, ck(`x="a;b"`), nil, "VN"}},
		{"two fields", exchange{cookies: ck("a=1", "SRV=a")}, outcome{0, ck("a=1"), nil, "VN"}},
		{"empty field kept", exchange{cookies: ck("", "SRV=b")}, outcome{1, ck(""), nil, "VN"}},
		{"first match wins", exchange{cookies: ck("SRV=a; SRV=b")}, outcome{0, nil, nil, "VN"}},
		{"later match overwrites invalid", exchange{cookies: ck("SRV=zz; SRV=b")}, outcome{1, nil, nil, "VN"}},
		{"match in second field", exchange{cookies: ck("SRV=zz; x=1", "SRV=b")}, outcome{1, ck("x=1"), nil, "VN"}},
		{"server sets it, direct", exchange{cookies: ck("SRV=a"), fields: ck("Set-Cookie: SRV=xyz; Path=/")}, outcome{0, nil, nil, "VD"}},
		{"server sets it, balanced", exchange{balance: 1, fields: ck("Set-Cookie: x=1", "Set-Cookie: SRV=xyz; Path=/", "Set-Cookie: y=2")},
			outcome{1, nil, ck("Set-Cookie: x=1", "Set-Cookie: y=2", "set-cookie: SRV=b; path=/"), "NI"}},
	})
}

func TestRequestInsertOnly(t *testing.T) {
	tb := twoServers(Options{Name: "SRV", Mode: Insert})
	checkExchanges(t, tb, []exchangeCase{
		{"forwarded unchanged", exchange{cookies: ck("a=1; SRV=b; c=2")}, outcome{1, ck("a=1; SRV=b; c=2"), nil, "VN"}},
		{"blanks stripped anyway", exchange{cookies: ck("x = 1;  y =2 ; z= 3")}, outcome{0, ck("x=1;  y=2 ; z=3"), ck("set-cookie: SRV=a; path=/"), "NI"}},
	})
}

// deletionSpacing lists Cookie fields and what insert+indirect forwards of
// them (nil: no Cookie field). The differential harness replays them.
var deletionSpacing = []struct {
	in   []string
	want []string
}{
	{ck("a=1; SRV=b; c=2"), ck("a=1; c=2")},
	{ck("a=1;SRV=b;c=2"), ck("a=1; c=2")},
	{ck("a=1   ;   SRV=b   ;   c=2"), ck("a=1; c=2")},
	{ck("SRV=b; c=2"), ck("c=2")},
	{ck("a=1; SRV=b"), ck("a=1")},
	{ck("x=1, SRV=a; y=2"), ck("x=1; y=2")},
	{ck("x=1; SRV=a, y=2"), ck("x=1, y=2")},
	{ck("SRV=a"), nil},
	{ck("a=1", "SRV=a"), ck("a=1")},
	{ck("x=1; SRV=a; $Path=/"), ck("x=1")},
	{ck("SRV=a; $Path=/; y=2"), ck("y=2")},
	{ck("$Version=1; SRV=a"), nil},
	{ck("SRV=a; SRV=b; x=1"), ck("x=1")},
	{ck("x=1; SRV=a; SRV=b"), ck("x=1")},
	{ck("x=1; SRV = a; y=2"), ck("x=1; y=2")},
	{ck("SRV=a; flag; y=2"), ck("flag; y=2")},
	{ck("x=1; SRV=a;;y=2"), ck("x=1; ;y=2")},
	{ck("x=1; SRV=a;"), ck("x=1; ")},
	{ck("SRV=a;"), nil},
	{ck("$Version=1"), ck("$Version=1")},
	{ck("a = 1"), ck("a=1")},
	{ck("$a = 1; SRV=b"), nil},
	// found by the random differential tests: the spacing rules
	// apply to the field as already edited
	{ck(`$V =b~x ,$Path = "a;b" ,SRV = b|garbage|x;;SRV =b ; srv =~x`), ck(`$V =b~x ,$Path = "a;b";; srv=~x`)},
	{ck(`$Path = "a;b";;SRV = b|garbage|x;;SRV =b ; srv =~x`), ck(`$Path = "a;b";;; srv=~x`)},
	{ck(`;;SRV = b;;SRV	=	b ,SRV2= "x"`), ck(`;;, SRV2="x"`)},
	{ck("SRV = zz~y;;SRV =zz ,SRV"), ck("SRV")},
	{ck("SRV=a; ;SRV=b; x=1"), ck("x=1")},
	{ck("x= ;SRV=a;y"), ck("x=; y")},
}

func TestRequestDeletionSpacing(t *testing.T) {
	// spec 2.2 f
	tb := twoServers(Options{Name: "SRV", Mode: Insert, Indirect: true})
	for _, tc := range deletionSpacing {
		got := run(tb, now, exchange{cookies: tc.in, redisp: -1}).forwarded
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q forwarded as %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRequestPrefix(t *testing.T) {
	// spec 7.3: cookie JSESSIONID prefix
	tb := twoServers(Options{Name: "JSESSIONID", Mode: Prefix})
	checkExchanges(t, tb, []exchangeCase{
		{"server cookie prefixed", exchange{fields: ck("Set-Cookie: JSESSIONID=abc123; Path=/")}, outcome{0, nil, ck("Set-Cookie: JSESSIONID=a~abc123; Path=/"), "NR"}},
		{"prefix stripped", exchange{cookies: ck("x=1; JSESSIONID=b~abc123; y=2")}, outcome{1, ck("x=1; JSESSIONID=abc123; y=2"), nil, "VN"}},
		{"empty application value", exchange{cookies: ck("JSESSIONID=b~")}, outcome{1, ck("JSESSIONID="), nil, "VN"}},
		{"unknown id still stripped", exchange{cookies: ck("JSESSIONID=zz~abc")}, outcome{0, ck("JSESSIONID=abc"), nil, "IN"}},
		{"no delimiter, unknown", exchange{cookies: ck("JSESSIONID=abc")}, outcome{0, ck("JSESSIONID=abc"), nil, "IN"}},
		{"no delimiter, whole value is the id", exchange{cookies: ck("JSESSIONID=b")}, outcome{1, ck("JSESSIONID=b"), nil, "VN"}},
		{"blanks", exchange{cookies: ck("JSESSIONID = b~abc ; y=2")}, outcome{1, ck("JSESSIONID=abc ; y=2"), nil, "VN"}},
		{"only the first tilde", exchange{cookies: ck("JSESSIONID=b~abc~def")}, outcome{1, ck("JSESSIONID=abc~def"), nil, "VN"}},
		{"empty id", exchange{cookies: ck("JSESSIONID=~abc")}, outcome{0, ck("JSESSIONID=abc"), nil, "IN"}},
		{"ignore-persist still strips", exchange{flags: IgnorePersist, cookies: ck("JSESSIONID=b~abc"), fields: ck("Set-Cookie: JSESSIONID=x")},
			outcome{0, ck("JSESSIONID=abc"), ck("Set-Cookie: JSESSIONID=x"), "UN"}},
	})
	tb = twoServers(Options{Name: "JSESSIONID", Mode: Prefix, Indirect: true})
	checkExchanges(t, tb, []exchangeCase{
		{"indirect, direct client", exchange{cookies: ck("JSESSIONID=a~x"), fields: ck("Set-Cookie: JSESSIONID=y")}, outcome{0, ck("JSESSIONID=x"), nil, "VD"}},
		{"indirect, balanced", exchange{fields: ck("Set-Cookie: JSESSIONID=y")}, outcome{0, nil, ck("Set-Cookie: JSESSIONID=a~y"), "NR"}},
	})
}

func TestRequestRewriteAndPassive(t *testing.T) {
	tb := twoServers(Options{Name: "SRV", Mode: Rewrite})
	checkExchanges(t, tb, []exchangeCase{
		{"rewritten", exchange{fields: ck("Set-Cookie: SRV=xyz; Path=/")}, outcome{0, nil, ck("Set-Cookie: SRV=a; Path=/"), "NR"}},
		{"rewritten, direct", exchange{cookies: ck("SRV=b"), fields: ck("Set-Cookie: SRV=xyz; Path=/")}, outcome{1, ck("SRV=b"), ck("Set-Cookie: SRV=b; Path=/"), "VR"}},
		{"blanks", exchange{fields: ck("Set-Cookie: SRV = xyz ; Path=/")}, outcome{0, nil, ck("Set-Cookie: SRV=a ; Path=/"), "NR"}},
		{"not first pair", exchange{fields: ck("Set-Cookie: a=1, SRV=xyz", "Set-Cookie: a=1; SRV=xyz")}, outcome{0, nil, ck("Set-Cookie: a=1, SRV=xyz", "Set-Cookie: a=1; SRV=xyz"), "NN"}},
		{"no server cookie", exchange{}, outcome{0, nil, nil, "NN"}},
	})
	tb = twoServers(Options{Name: "SRV"})
	checkExchanges(t, tb, []exchangeCase{
		{"passive routes", exchange{cookies: ck("SRV=b; x = 1"), fields: ck("Set-Cookie: SRV=xyz")}, outcome{1, ck("SRV=b; x=1"), ck("Set-Cookie: SRV=xyz"), "--"}},
	})
}

func TestRequestDates(t *testing.T) {
	// spec 7.4: insert indirect maxidle 30m maxlife 8h
	tb := twoServers(Options{Name: "SRV", Mode: Insert, Indirect: true, MaxIdle: 1800, MaxLife: 8 * 3600})
	n := enc(now)
	ins := func(v string) []string { return ck("set-cookie: SRV=" + v + "; path=/") }
	checkExchanges(t, tb, []exchangeCase{
		{"no cookie", exchange{}, outcome{0, nil, ins("a|" + n + "|" + n), "NI"}},
		{"fresh", exchange{cookies: ck("SRV=b|awIuP|awIuP")}, outcome{1, nil, nil, "VN"}},
		{"refresh keeps first", exchange{cookies: ck("SRV=b|awIt0|awIt0")}, outcome{1, nil, ins("b|" + n + "|awIt0"), "VU"}},
		{"idle", exchange{cookies: ck("SRV=b|" + enc(now-1900) + "|" + enc(now-1900)), balance: 1}, outcome{1, nil, ins("b|" + n + "|" + n), "EI"}},
		{"old", exchange{cookies: ck("SRV=b|" + enc(now-60) + "|" + enc(now-9*3600))}, outcome{0, nil, ins("a|" + n + "|" + n), "OI"}},
		{"last far ahead", exchange{cookies: ck("SRV=b|" + enc(now+86500) + "|" + enc(now))}, outcome{0, nil, ins("a|" + n + "|" + n), "EI"}},
		{"last an hour ahead", exchange{cookies: ck("SRV=b|" + enc(now+3600) + "|" + enc(now))}, outcome{1, nil, nil, "VN"}},
		{"first far ahead", exchange{cookies: ck("SRV=b|" + enc(now) + "|" + enc(now+86500))}, outcome{0, nil, ins("a|" + n + "|" + n), "OI"}},
		{"no date", exchange{cookies: ck("SRV=b")}, outcome{1, nil, ins("b|" + n + "|" + n), "VU"}},
		{"no first", exchange{cookies: ck("SRV=b|awIt0")}, outcome{1, nil, ins("b|" + n + "|" + n), "VU"}},
		{"zero last", exchange{cookies: ck("SRV=b|AAAAA|awIt0")}, outcome{1, nil, ins("b|" + n + "|awIt0"), "VU"}},
		{"invalid dates", exchange{cookies: ck("SRV=b|-----|.....")}, outcome{1, nil, ins("b|" + n + "|" + n), "VU"}},
		{"empty last", exchange{cookies: ck("SRV=b||awIt0")}, outcome{1, nil, ins("b|" + n + "|awIt0"), "VU"}},
		{"empty id", exchange{cookies: ck("SRV=|awIuP")}, outcome{0, nil, ins("a|" + n + "|" + n), "II"}},
		{"garbage decodes far", exchange{cookies: ck("SRV=b|garbage|xyz")}, outcome{0, nil, ins("a|" + n + "|" + n), "EI"}},
		{"exactly 24h ahead is accepted", exchange{cookies: ck("SRV=b|" + encAt(now+86400) + "|" + enc(now))}, outcome{1, nil, nil, "VN"}},
		{"24h and 4s ahead is not", exchange{cookies: ck("SRV=b|" + encAt(now+86404) + "|" + enc(now))}, outcome{0, nil, ins("a|" + n + "|" + n), "EI"}},
	})
	tb = twoServers(Options{Name: "SRV", Mode: Insert, Indirect: true, MaxIdle: 1800})
	checkExchanges(t, tb, []exchangeCase{
		{"maxidle only drops first", exchange{cookies: ck("SRV=b|awIt0|awIt0")}, outcome{1, nil, ins("b|" + n), "VU"}},
		{"maxidle only, fresh with first", exchange{cookies: ck("SRV=b|awIuP|awIt0")}, outcome{1, nil, ins("b|" + n), "VU"}},
	})
	tb = twoServers(Options{Name: "SRV", Mode: Insert, Indirect: true, MaxLife: 8 * 3600})
	checkExchanges(t, tb, []exchangeCase{
		{"maxlife only", exchange{cookies: ck("SRV=b")}, outcome{1, nil, ins("b|" + n + "|" + n), "VU"}},
		{"maxlife only, fresh", exchange{cookies: ck("SRV=b|awIuP|awIt0")}, outcome{1, nil, nil, "VN"}},
	})
	tb = twoServers(Options{Name: "SRV", Mode: Insert, Indirect: true})
	checkExchanges(t, tb, []exchangeCase{
		{"no limits, past date removed", exchange{cookies: ck("SRV=b|awIt0")}, outcome{1, nil, ins("b"), "VU"}},
		{"no limits, future date kept", exchange{cookies: ck("SRV=b|awIuP")}, outcome{1, nil, nil, "VN"}},
		{"no limits, first removed", exchange{cookies: ck("SRV=b|awIuP|awIt0")}, outcome{1, nil, ins("b"), "VU"}},
	})
}

// encAt encodes the 4-second unit that contains s exactly (s a multiple of
// 4 away from a unit boundary is not needed: the unit is s>>2).
func encAt(s int64) string {
	d := EncodeDate(int32(s >> 2))
	return string(d[:])
}

func TestRequestStates(t *testing.T) {
	// spec 7.5
	mk := func(persist bool, s1, s2 State) *Table {
		tb, _ := Build(&Backend{Name: "b_ins", Persist: persist, Options: Options{Name: "SRV", Mode: Insert, Indirect: true, NoCache: true},
			Servers: []Server{{Cookie: "a", State: s1}, {Cookie: "b", State: s2}}})
		return tb
	}
	ins := func(v string) []string { return ck("set-cookie: SRV=" + v + "; path=/") }
	checkExchanges(t, mk(false, Maint, Ready), []exchangeCase{
		{"maint", exchange{cookies: ck("SRV=a"), balance: 1}, outcome{1, nil, ins("b"), "DI"}},
		{"force-persist", exchange{flags: ForcePersist, cookies: ck("SRV=a"), balance: 1}, outcome{0, nil, nil, "DN"}},
	})
	checkExchanges(t, mk(true, Maint, Ready), []exchangeCase{
		{"option persist", exchange{cookies: ck("SRV=a"), balance: 1}, outcome{0, nil, nil, "DN"}},
	})
	checkExchanges(t, mk(false, Down, Ready), []exchangeCase{
		{"health down", exchange{cookies: ck("SRV=a"), balance: 1}, outcome{1, nil, ins("b"), "DI"}},
	})
	checkExchanges(t, mk(false, Drain, Ready), []exchangeCase{
		{"drain keeps persistence", exchange{cookies: ck("SRV=a"), balance: 1}, outcome{0, nil, nil, "VN"}},
	})
	checkExchanges(t, mk(false, Ready, Ready), []exchangeCase{
		{"ignore-persist", exchange{flags: IgnorePersist, cookies: ck("SRV=a; y=1"), balance: 1, fields: ck("Set-Cookie: SRV=srvset")},
			outcome{1, ck("y=1"), ck("Set-Cookie: SRV=srvset"), "UN"}},
		{"ignore-persist, no cookie", exchange{flags: IgnorePersist, balance: 1, fields: ck("Set-Cookie: SRV=srvset")},
			outcome{1, nil, ck("Set-Cookie: SRV=srvset"), "NN"}},
		{"use-server", exchange{use: true, useSrv: 1, cookies: ck("SRV=a; x=1")}, outcome{1, ck("x=1"), nil, "UN"}},
		{"use-server, no cookie", exchange{use: true, useSrv: 1}, outcome{1, nil, nil, "NN"}},
		{"redispatched", exchange{cookies: ck("SRV=a"), redisp: 1}, outcome{1, nil, ins("b"), "DI"}},
		{"force-persist does not redispatch", exchange{flags: ForcePersist, cookies: ck("SRV=a"), redisp: 1}, outcome{0, nil, nil, "VN"}},
	})
	dated := twoServers(Options{Name: "SRV", Mode: Insert, Indirect: true, MaxIdle: 600})
	checkExchanges(t, dated, []exchangeCase{
		{"use-server still refreshes dates", exchange{use: true, useSrv: 1}, outcome{1, nil, ck("set-cookie: SRV=b|" + enc(now) + "; path=/"), "NU"}},
		{"ignore-persist never inserts", exchange{flags: IgnorePersist, balance: 1}, outcome{1, nil, nil, "NN"}},
	})
	tb := mk(false, Drain, Maint)
	rq := tb.Request(now, []byte("GET"), 0)
	if _, act := tb.Cookie(&rq, []byte("SRV=b"), nil); act != Remove || rq.Status() != CookieDown || rq.Server() != -1 {
		t.Errorf("drain+maint SRV=b: %v status %c server %d, want removal, D, none", act, rq.Status().Letter(), rq.Server())
	}
}

func TestRequestSharedAndMissingCookies(t *testing.T) {
	tb, _ := Build(&Backend{Name: "b", Options: Options{Name: "SRV", Mode: Insert},
		Servers: []Server{{Cookie: "a"}, {Cookie: "a"}, {}}})
	checkExchanges(t, tb, []exchangeCase{
		{"shared value goes to the first", exchange{cookies: ck("SRV=a")}, outcome{0, ck("SRV=a"), nil, "VN"}},
		{"server without cookie", exchange{balance: 2}, outcome{2, nil, ck("set-cookie: SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/"), "NI"}},
	})
	tb, _ = Build(&Backend{Name: "b", Options: Options{Name: "SRV", Mode: Insert},
		Servers: []Server{{Cookie: "a", State: Maint}, {Cookie: "a", State: Drain}}})
	checkExchanges(t, tb, []exchangeCase{
		{"shared value skips a stopped server", exchange{cookies: ck("SRV=a")}, outcome{1, ck("SRV=a"), nil, "VN"}},
	})
	tb, _ = Build(&Backend{Name: "b", Options: Options{Name: "SRV", Mode: Insert, Dynamic: true}, Key: "mysecretphrase",
		Servers: []Server{{Addr: netip.MustParseAddr("127.0.0.1"), Port: 8080}, {Addr: netip.MustParseAddr("127.0.0.1"), Port: 18081}}})
	checkExchanges(t, tb, []exchangeCase{
		{"dynamic insert", exchange{}, outcome{0, nil, ck("set-cookie: SRV=7b34996d0d4e7dd9; path=/"), "NI"}},
		{"dynamic lookup", exchange{cookies: ck("SRV=f1b761f9e018efdb")}, outcome{1, ck("SRV=f1b761f9e018efdb"), nil, "VN"}},
	})
}
