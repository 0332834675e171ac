package persist

import (
	"reflect"
	"testing"
)

func TestResponseNoCache(t *testing.T) {
	// spec 3.2: the nocache matrix observed on 2.6.12 (GET, insert).
	tb := twoServers(Options{Name: "SRV", Mode: Insert, NoCache: true})
	for _, tc := range []struct {
		method  string
		status  int
		fields  []string
		private bool
	}{
		{"GET", 200, nil, false},
		{"GET", 200, ck(`ETag: "x"`), true},
		{"GET", 200, ck("Last-Modified: Sat, 21 Nov 2026 00:00:00 GMT", "Cache-Control: public"), true},
		{"GET", 200, ck("Cache-Control: public"), false},
		{"GET", 200, ck("Cache-Control: max-age=60"), true},
		{"GET", 200, ck("Expires: Sun, 22 Nov 2026 00:00:00 GMT"), true},
		{"GET", 200, ck("Cache-Control: private, max-age=60"), false},
		{"GET", 200, ck(`Cache-Control: no-cache="set-cookie", max-age=60`), true},
		{"GET", 200, ck("Cache-Control: max-age=0"), false},
		{"GET", 200, ck("Cache-Control: max-age=0", "Cache-Control: s-maxage=10"), false},
		{"GET", 200, ck(`Cache-Control: private="x", max-age=60`), true},
		{"GET", 200, ck("Cache-Control: max-age=60", "Pragma: no-cache"), false},
		{"GET", 302, ck("Cache-Control: max-age=60"), false},
		{"GET", 404, ck("Cache-Control: max-age=60"), true},
		{"GET", 204, ck("Cache-Control: max-age=60"), true},
		{"GET", 500, ck("Cache-Control: max-age=60"), false},
		{"HEAD", 200, ck("Cache-Control: max-age=60"), true},
		{"POST", 200, ck("Cache-Control: max-age=60"), false},
		{"POST", 200, ck("Cache-Control: public, max-age=60"), true},
		// beyond the spec's table, from the same rules
		{"OPTIONS", 200, ck("Cache-Control: max-age=60"), true},
		{"TRACE", 200, ck("Cache-Control: max-age=60"), true},
		{"GET", 302, ck("Cache-Control: public, max-age=60"), true},
		{"GET", 101, ck("Cache-Control: public, max-age=60"), false},
		{"GET", 304, ck(`ETag: "x"`), false},
		{"GET", 200, ck("Cache-Control: MAX-AGE=60, PRIVATE"), false},
		{"GET", 200, ck("cache-control: private", "CACHE-CONTROL: public", `etag: "x"`), true},
		{"GET", 200, ck("Pragma: x", "Pragma: no-cache", `ETag: "x"`), true},
		{"GET", 200, ck("Pragma: NO-CACHE", "Cache-Control: public, max-age=1"), false},
		{"GET", 200, ck(`Cache-Control: foo="a,max-age=0,b", max-age=9`), true},
		{"GET", 200, ck("Cache-Control: , max-age=9 ,"), true},
		{"GET", 200, ck(`Cache-Control: no-cache="Set-Cookie2"`, `ETag: "x"`), true},
		{"GET", 200, ck("Cache-Control: s-maxage=0, max-age=9"), false},
	} {
		out := run(tb, now, exchange{method: tc.method, status: tc.status, fields: tc.fields, redisp: -1})
		last := out.response[len(out.response)-1]
		got := last == "cache-control: private"
		if got != tc.private {
			t.Errorf("%s %d %q: cache-control: private added = %v, want %v (%q)", tc.method, tc.status, tc.fields, got, tc.private, out.response)
		}
	}
}

func TestResponseCookiesCacheable(t *testing.T) {
	tb := twoServers(Options{Name: "SRV", Mode: Insert, NoCache: true})
	for _, tc := range []struct {
		fields []string
		want   bool
	}{
		{ck("Cache-Control: max-age=60"), true},
		{ck(`Cache-Control: no-cache="set-cookie", max-age=60`), false},
		{ck("Cache-Control: private"), false},
		{ck("Pragma: no-cache"), false},
	} {
		rq := tb.Request(now, []byte("GET"), 0, 0)
		rs := tb.Response(&rq, 200)
		for _, f := range tc.fields {
			name, value, _ := cut(f)
			tb.ResponseField(&rq, &rs, name, value, nil)
		}
		if got := rs.Cache().CookiesCacheable(); got != tc.want {
			t.Errorf("%q: CookiesCacheable = %v, want %v", tc.fields, got, tc.want)
		}
	}
}

func cut(f string) (name, value []byte, ok bool) {
	for i := 0; i+1 < len(f); i++ {
		if f[i] == ':' && f[i+1] == ' ' {
			return []byte(f[:i]), []byte(f[i+2:]), true
		}
	}
	return []byte(f), nil, false
}

func TestResponseStatuses(t *testing.T) {
	tb := twoServers(Options{Name: "SRV", Mode: Insert, Indirect: true})
	sc := "set-cookie: SRV=a; path=/"
	for _, tc := range []struct {
		method string
		status int
		fields []string
		want   []string
	}{
		{"GET", 100, ck("Set-Cookie: SRV=x"), ck("Set-Cookie: SRV=x")},
		{"GET", 103, ck("Set-Cookie: SRV = x"), ck("Set-Cookie: SRV = x")},
		{"GET", 101, ck("Set-Cookie: SRV=x"), ck(sc)},
		{"GET", 204, nil, ck(sc)},
		{"GET", 302, nil, ck(sc)},
		{"GET", 304, nil, ck(sc)},
		{"HEAD", 200, nil, ck(sc)},
		{"GET", 404, nil, ck(sc)},
		{"GET", 500, nil, ck(sc)},
	} {
		out := run(tb, now, exchange{method: tc.method, status: tc.status, fields: tc.fields, redisp: -1})
		if !reflect.DeepEqual(out.response, tc.want) {
			t.Errorf("%s %d: response %q, want %q", tc.method, tc.status, out.response, tc.want)
		}
	}
}

func TestResponseAttributes(t *testing.T) {
	// spec 7.6 and 1.2
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Name: "SRV", Mode: Insert, Indirect: true, Domains: []string{".example.com", "foo.example.org"}, HTTPOnly: true, Secure: true,
			Attrs: []string{"SameSite=Strict", "Partitioned"}},
			"set-cookie: SRV=a; path=/; domain=.example.com; domain=foo.example.org; HttpOnly; Secure; SameSite=Strict; Partitioned"},
		{Options{Name: "DEF", Mode: Insert, Indirect: true, NoCache: true, HTTPOnly: true, Attrs: []string{"SameSite=Lax"}, Domains: []string{".d.example"}, MaxIdle: 3600},
			"set-cookie: DEF=a|" + enc(now) + "; path=/; domain=.d.example; HttpOnly; SameSite=Lax"},
		{Options{Name: "TWO", Mode: Insert, Attrs: []string{"SameSite=Lax", "X1", "X2"}},
			"set-cookie: TWO=a; path=/; SameSite=Lax; X1; X2"},
	} {
		out := run(twoServers(tc.opts), now, exchange{redisp: -1})
		if !reflect.DeepEqual(out.response, ck(tc.want)) {
			t.Errorf("%+v: %q, want %q", tc.opts, out.response, tc.want)
		}
	}
	tb, _ := Build(&Backend{Name: "b", Options: Options{Name: "S", Mode: Insert, Secure: true, Domains: []string{"x.y"}}, Servers: []Server{{Name: "s"}}})
	out := run(tb, now, exchange{redisp: -1})
	if want := "set-cookie: S=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/; domain=x.y; Secure"; !reflect.DeepEqual(out.response, ck(want)) {
		t.Errorf("removal cookie %q, want %q", out.response, want)
	}
}

func TestResponsePostOnlyPreserve(t *testing.T) {
	tb := twoServers(Options{Name: "SRV", Mode: Insert, Indirect: true, PostOnly: true})
	checkExchanges(t, tb, []exchangeCase{
		{"GET", exchange{method: "GET"}, outcome{0, nil, nil, "NN"}},
		{"POST", exchange{method: "POST"}, outcome{0, nil, ck("set-cookie: SRV=a; path=/"), "NI"}},
		{"PUT", exchange{method: "PUT"}, outcome{0, nil, nil, "NN"}},
		{"post is case-sensitive", exchange{method: "post"}, outcome{0, nil, nil, "NN"}},
		{"GET deletes the server's cookie anyway", exchange{fields: ck("Set-Cookie: SRV=x")}, outcome{0, nil, nil, "ND"}},
	})
	tb = twoServers(Options{Name: "SRV", Mode: Insert, Indirect: true, Preserve: true})
	checkExchanges(t, tb, []exchangeCase{
		{"kept, direct", exchange{cookies: ck("SRV=a"), fields: ck("Set-Cookie: SRV=logout; Max-Age=0")}, outcome{0, nil, ck("Set-Cookie: SRV=logout; Max-Age=0"), "VP"}},
		{"kept, balanced", exchange{fields: ck("Set-Cookie: SRV=logout; Max-Age=0")}, outcome{0, nil, ck("Set-Cookie: SRV=logout; Max-Age=0"), "NP"}},
		{"inserted without one", exchange{}, outcome{0, nil, ck("set-cookie: SRV=a; path=/"), "NI"}},
	})
	tb = twoServers(Options{Name: "SRV", Indirect: true, Preserve: true})
	checkExchanges(t, tb, []exchangeCase{
		{"indirect preserve, direct", exchange{cookies: ck("SRV=a"), fields: ck("Set-Cookie: SRV=x")}, outcome{0, ck("SRV=a"), ck("Set-Cookie: SRV=x"), "VP"}},
	})
	tb = twoServers(Options{Name: "SRV", Indirect: true})
	checkExchanges(t, tb, []exchangeCase{
		{"indirect, direct", exchange{cookies: ck("SRV=a"), fields: ck("Set-Cookie: SRV=x")}, outcome{0, ck("SRV=a"), nil, "VD"}},
		{"indirect, balanced", exchange{fields: ck("Set-Cookie: SRV=x")}, outcome{0, nil, ck("Set-Cookie: SRV=x"), "NP"}},
	})
}

func TestResponseSetCookieEdits(t *testing.T) {
	tb := twoServers(Options{Name: "SRV", Mode: Rewrite})
	for _, tc := range []struct {
		in   string
		want string
		act  Action
	}{
		{"SRV=xyz; Path=/", "SRV=a; Path=/", Keep},
		{"SRV = xyz ; Path=/", "SRV=a ; Path=/", Keep},
		{"SRV=\"quoted;x\"; Path=/", "SRV=a; Path=/", Keep},
		{"SRV=x,y; Path=/", "SRV=a,y; Path=/", Keep},
		{"SRV=; Path=/", "SRV=a; Path=/", Keep},
		{"x = 1; SRV = 2", "x=1; SRV = 2", Keep},
		{"SRV", "SRV", Keep},
		{"SRV2=x", "SRV2=x", Keep},
	} {
		rq := tb.Request(now, []byte("GET"), 0, 0)
		rq.Balanced(0)
		rs := tb.Response(&rq, 200)
		v := []byte(tc.in)
		edits, act := tb.ResponseField(&rq, &rs, []byte("Set-Cookie"), v, nil)
		if got := string(Apply(nil, v, edits)); got != tc.want || act != tc.act {
			t.Errorf("%q: %q %v, want %q %v", tc.in, got, act, tc.want, tc.act)
		}
	}
}

func TestLogFlags(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{}, "--"},
		{Options{Name: "SRV"}, "--"},
		{Options{Name: "SRV", Indirect: true}, "NN"},
		{Options{Name: "SRV", Mode: Rewrite}, "NN"},
		{Options{Name: "SRV", Mode: Prefix}, "NN"},
		{Options{Name: "SRV", Mode: Insert}, "NI"},
	} {
		if got := run(twoServers(tc.opts), now, exchange{redisp: -1}).log; got != tc.want {
			t.Errorf("%+v: log %q, want %q", tc.opts, got, tc.want)
		}
	}
	for s, want := range map[CookieStatus]byte{CookieNone: 'N', CookieInvalid: 'I', CookieDown: 'D', CookieValid: 'V', CookieExpired: 'E', CookieOld: 'O', CookieUnused: 'U'} {
		if s.Letter() != want {
			t.Errorf("CookieStatus %d letter %c, want %c", s, s.Letter(), want)
		}
	}
	for s, want := range map[SetCookieStatus]byte{SetCookieNone: 'N', SetCookieFound: 'P', SetCookieDeleted: 'D', SetCookieInserted: 'I', SetCookieReplaced: 'R', SetCookieUpdated: 'U'} {
		if s.Letter() != want {
			t.Errorf("SetCookieStatus %d letter %c, want %c", s, s.Letter(), want)
		}
	}
}
