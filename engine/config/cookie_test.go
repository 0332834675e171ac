package config

import (
	"reflect"
	"testing"

	"tether/persist"
)

func TestCookieOptions(t *testing.T) {
	tests := []struct {
		line string
		want persist.Options
	}{
		{"cookie SRV", persist.Options{Name: "SRV", Mode: persist.Passive}},
		{"cookie SRV insert", persist.Options{Name: "SRV", Mode: persist.Insert}},
		{"cookie SRV rewrite", persist.Options{Name: "SRV", Mode: persist.Rewrite}},
		{"cookie SRV prefix indirect", persist.Options{Name: "SRV", Mode: persist.Prefix, Indirect: true}},
		{"cookie SRV insert indirect nocache", persist.Options{Name: "SRV", Mode: persist.Insert, Indirect: true, NoCache: true}},
		{"cookie SRV indirect preserve", persist.Options{Name: "SRV", Indirect: true, Preserve: true}},
		{"cookie SRV insert indirect preserve", persist.Options{Name: "SRV", Mode: persist.Insert, Indirect: true, Preserve: true}},
		{"cookie SRV insert postonly nocache", persist.Options{Name: "SRV", Mode: persist.Insert, PostOnly: true, NoCache: true}},
		{"cookie SRV insert httponly secure dynamic", persist.Options{Name: "SRV", Mode: persist.Insert, HTTPOnly: true, Secure: true, Dynamic: true}},
		{"cookie SRV insert domain .example.com domain foo.example.org", persist.Options{Name: "SRV", Mode: persist.Insert, Domains: []string{".example.com", "foo.example.org"}}},
		{"cookie SRV insert maxidle 30m maxlife 8h", persist.Options{Name: "SRV", Mode: persist.Insert, MaxIdle: 1800, MaxLife: 28800}},
		{"cookie SRV insert maxidle 1ms maxlife 0", persist.Options{Name: "SRV", Mode: persist.Insert, MaxIdle: 1}},
		{"cookie SRV insert maxidle 90 maxlife 1500ms", persist.Options{Name: "SRV", Mode: persist.Insert, MaxIdle: 90, MaxLife: 2}},
		{"cookie SRV insert maxidle 1d", persist.Options{Name: "SRV", Mode: persist.Insert, MaxIdle: 86400}},
		{`cookie SRV insert attr "SameSite=Strict" attr Partitioned`, persist.Options{Name: "SRV", Mode: persist.Insert, Attrs: []string{"SameSite=Strict", "Partitioned"}}},
		{"cookie SRV insert domain localhost", persist.Options{Name: "SRV", Mode: persist.Insert, Domains: []string{"localhost"}}},
	}
	for _, tt := range tests {
		be := backend(t, "    "+tt.line+"\n")
		if !reflect.DeepEqual(be.Cookie, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.line, be.Cookie, tt.want)
		}
	}
}

// TestCookieErrors covers the table of spec section 1.1.
func TestCookieErrors(t *testing.T) {
	tests := []struct {
		line string
		sev  Severity
		msg  string
	}{
		{"cookie", Alert, "'cookie' expects <cookie_name> as argument."},
		{"cookie SRV insert domain", Alert, "'domain' expects <domain> as argument."},
		{"cookie SRV insert domain localhost", Warning, "domain 'localhost' contains no embedded dot, this configuration may not work properly (see RFC6265#5.2.3)."},
		{"cookie SRV insert domain a/b.com", Alert, "character '/' is not permitted in domain name 'a/b.com'."},
		{"cookie SRV insert maxidle", Alert, "'maxidle' expects <idletime> in seconds as argument."},
		{"cookie SRV insert maxlife", Alert, "'maxlife' expects <lifetime> in seconds as argument."},
		{"cookie SRV insert maxidle x", Alert, "unexpected character 'x' in argument to <maxidle>."},
		{"cookie SRV insert maxidle 1sx", Warning, "unexpected character 'x' after the timer value '1sx'"},
		{"cookie SRV insert maxidle 3000000000", Alert, "timer overflow in argument <3000000000> to <maxidle>, maximum value is 2147483647 s (~68 years)."},
		{"cookie SRV insert maxlife 30000d", Alert, "timer overflow in argument <30000d> to <maxlife>"},
		{"cookie SRV insert attr", Alert, "'attr' expects <value> as argument."},
		{`cookie SRV insert attr "a;b"`, Alert, "character '%x3B' is not permitted in attribute value."},
		{`cookie SRV insert attr "a\tb"`, Alert, "character '%x09' is not permitted in attribute value."},
		{`cookie SRV insert attr "a\x7fb"`, Alert, "character '%x7F' is not permitted in attribute value."},
		{"cookie SRV insert Insert", Alert, "'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options."},
		{"cookie SRV rewrite indirect", Alert, "cookie 'rewrite' and 'indirect' modes are incompatible."},
		{"cookie SRV insert prefix", Alert, "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible."},
		{"cookie SRV rewrite insert prefix", Alert, "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible."},
		{"cookie SRV prefix preserve", Alert, "cookie 'preserve' requires at least 'insert' or 'indirect'."},
		{"cookie SRV preserve", Alert, "cookie 'preserve' requires at least 'insert' or 'indirect'."},
		{"dynamic-cookie-key", Alert, "'dynamic-cookie-key' expects <secret_key> as argument."},
	}
	for _, tt := range tests {
		text := header + "backend be\n    " + tt.line + "\n"
		expectDiag(t, text, tt.sev, lineOf(text, tt.line), tt.msg)
	}
}

// TestCookieCombinationChecksAllRun: the three combination checks are not
// short-circuited, so one line can raise several alerts.
func TestCookieCombinationChecksAllRun(t *testing.T) {
	_, diags := parse(t, header+"backend be\n    cookie S rewrite indirect insert preserve\n")
	n := 0
	for _, d := range diags {
		if d.Severity == Alert && d.Keyword == "cookie" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d cookie alerts, want 2:\n%s", n, dump(diags))
	}
}

func TestCookieInFrontendWarns(t *testing.T) {
	text := header + "frontend f2\n    bind 127.0.0.1:18081\n    cookie X insert\n    dynamic-cookie-key k\nbackend be\n"
	expectDiag(t, text, Warning, lineOf(text, "cookie X"), "'cookie' ignored because frontend 'f2' has no backend capability.")
	expectDiag(t, text, Warning, lineOf(text, "dynamic-cookie-key"), "'dynamic-cookie-key' ignored because frontend 'f2' has no backend capability.")
	noDiag(t, text, Alert)
	// The line is still parsed, so its errors are still reported.
	bad := header + "frontend f2\n    bind 127.0.0.1:18081\n    cookie X bogus\nbackend be\n"
	expectDiag(t, bad, Alert, lineOf(bad, "cookie X"), "'cookie' supports")
}

func TestCookieLineResetsAllButAttrs(t *testing.T) {
	be := backend(t, "    cookie ONE insert indirect nocache httponly secure postonly domain .a.b maxidle 1h maxlife 2h dynamic attr X1\n    cookie TWO prefix attr X2\n")
	want := persist.Options{Name: "TWO", Mode: persist.Prefix, Attrs: []string{"X1", "X2"}}
	if !reflect.DeepEqual(be.Cookie, want) {
		t.Errorf("got %+v\nwant %+v", be.Cookie, want)
	}
}

func TestDynamicCookieKeyRawBytes(t *testing.T) {
	be := backend(t, "    dynamic-cookie-key 'a b\\x00'\n")
	if be.DynamicCookieKey != `a b\x00` {
		t.Errorf("key %q", be.DynamicCookieKey)
	}
	be = backend(t, "    dynamic-cookie-key a\\x00b\n") // a NUL ends the word, as in C
	if be.DynamicCookieKey != "a" {
		t.Errorf("key %q", be.DynamicCookieKey)
	}
}

func TestServerCookie(t *testing.T) {
	be := backend(t, "    default-server cookie shared\n    server s1 127.0.0.1:1\n    server s2 127.0.0.1:2 cookie own\n    server-template app 5-6 127.0.0.1:3 cookie fixed\n")
	got := map[string]string{}
	for _, s := range be.Servers {
		if !s.CookieSet {
			t.Errorf("%s: CookieSet false", s.Name)
		}
		got[s.Name] = s.Cookie
	}
	want := map[string]string{"s1": "shared", "s2": "own", "app5": "fixed", "app6": "fixed"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
	be = backend(t, "    server s1 127.0.0.1:1\n")
	if be.Servers[0].CookieSet || be.Servers[0].Cookie != "" {
		t.Errorf("server without cookie: %+v", be.Servers[0])
	}
	text := header + "backend be\n    server s1 127.0.0.1:1 cookie\n"
	expectDiag(t, text, Alert, lineOf(text, "server s1"), "'cookie' expects <value> as argument.")
}

// TestDynamicCookieDuplicates: three template servers on one address make
// three warnings (web2 with web1, web3 with web1 and web2), as in spec 4.3;
// a disabled server is left out.
func TestDynamicCookieDuplicates(t *testing.T) {
	count := func(text string) int {
		_, diags := parse(t, text)
		n := 0
		for _, d := range diags {
			if d.Severity == Warning && d.Message == "We generated two equal cookies for two different servers. Please change the secret key for 'be'." {
				if d.Line != lastLineOf(text, "backend be") {
					t.Errorf("warning at line %d", d.Line)
				}
				n++
			}
		}
		return n
	}
	base := header + "backend be\n    cookie SRV insert dynamic\n    dynamic-cookie-key k\n"
	tests := []struct {
		servers string
		want    int
	}{
		{"    server-template web 3 127.0.0.1:18080\n", 3},
		{"    server s1 127.0.0.1:18080\n    server s2 127.0.0.1:18081\n", 0},
		{"    server s1 127.0.0.1:18080\n    server s2 127.0.0.1:18080 disabled\n", 0},
		{"    server s1 127.0.0.1:18080 cookie 74e24ae40aff73a2\n    server s2 127.0.0.1:18080\n", 1},
		{"    server s1 h.example:18080 init-addr none\n    server s2 h.example:18080 init-addr none\n", 0},
	}
	for _, tt := range tests {
		if got := count(base + tt.servers); got != tt.want {
			t.Errorf("%q: %d warnings, want %d", tt.servers, got, tt.want)
		}
	}
	if got := count(header + "backend be\n    cookie SRV insert dynamic\n    server-template web 3 127.0.0.1:18080\n"); got != 0 {
		t.Errorf("no key: %d warnings", got)
	}
}
