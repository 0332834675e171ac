package config

import (
	"reflect"
	"testing"
	"time"

	"tether/persist"
)

// TestCookieInheritance reproduces spec section 1.2: a backend without a
// cookie line inherits everything; a cookie line resets everything but the
// attributes, which accumulate.
func TestCookieInheritance(t *testing.T) {
	cfg := mustParse(t, `defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 5s
    cookie DEF insert indirect nocache httponly attr "SameSite=Lax" domain .d.example maxidle 1h
    dynamic-cookie-key defaultkey

frontend fe
    bind 127.0.0.1:18080
    cookie IGNORED insert
    default_backend b_inh

backend b_inh

backend b_override
    cookie OVR insert attr "Priority=High"

backend b_twice
    cookie ONE insert attr X1 secure
    cookie TWO insert attr X2
`)
	tests := map[string]persist.Options{
		"b_inh": {Name: "DEF", Mode: persist.Insert, Indirect: true, NoCache: true, HTTPOnly: true,
			Domains: []string{".d.example"}, MaxIdle: 3600, Attrs: []string{"SameSite=Lax"}},
		"b_override": {Name: "OVR", Mode: persist.Insert, Attrs: []string{"SameSite=Lax", "Priority=High"}},
		"b_twice":    {Name: "TWO", Mode: persist.Insert, Attrs: []string{"SameSite=Lax", "X1", "X2"}},
	}
	for name, want := range tests {
		be := cfg.Backend(name)
		if !reflect.DeepEqual(be.Cookie, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, be.Cookie, want)
		}
		if be.DynamicCookieKey != "defaultkey" {
			t.Errorf("%s: key %q", name, be.DynamicCookieKey)
		}
	}
	if got := cfg.Defaults[0].Cookie.Attrs; !reflect.DeepEqual(got, []string{"SameSite=Lax"}) {
		t.Errorf("defaults attrs changed by a backend: %q", got)
	}
	fe := cfg.Proxies[0]
	if fe.Cookie.Name != "IGNORED" || fe.DynamicCookieKey != "" {
		t.Errorf("frontend: cookie %q key %q (the key is backend-only)", fe.Cookie.Name, fe.DynamicCookieKey)
	}
}

// TestFrontendDoesNotInheritCookie: cookie settings are copied only into
// proxies with the backend capability.
func TestFrontendDoesNotInheritCookie(t *testing.T) {
	cfg := mustParse(t, "defaults\n    mode http\n    cookie DEF insert\n    dynamic-cookie-key k\n    balance leastconn\n    retries 7\nfrontend fe\n    bind :18080\nlisten li\n    bind :18081\n")
	fe, li := cfg.Proxies[0], cfg.Proxies[1]
	if fe.Cookie.Enabled() || fe.DynamicCookieKey != "" || fe.Balance.Algo != RoundRobin || fe.Retries != 3 {
		t.Errorf("frontend inherited backend settings: %+v %q %v %d", fe.Cookie, fe.DynamicCookieKey, fe.Balance.Algo, fe.Retries)
	}
	if li.Cookie.Name != "DEF" || li.DynamicCookieKey != "k" || li.Balance.Algo != LeastConn || li.Retries != 7 {
		t.Errorf("listen did not inherit: %+v %q %v %d", li.Cookie, li.DynamicCookieKey, li.Balance.Algo, li.Retries)
	}
}

// TestBackendDoesNotInheritFrontendSettings: maxconn and default_backend are copied only into proxies with the frontend capability.
func TestBackendDoesNotInheritFrontendSettings(t *testing.T) {
	cfg := mustParse(t, "defaults\n    mode http\n    maxconn 100\n    default_backend be\nfrontend fe\n    bind :18080\nbackend be\n")
	fe, be := cfg.Proxies[0], cfg.Proxies[1]
	if fe.MaxConn != 100 || fe.DefaultBackend != be {
		t.Errorf("frontend: %d %v", fe.MaxConn, fe.DefaultBackend)
	}
	if be.MaxConn != 0 || be.DefaultBackend != nil {
		t.Errorf("backend inherited frontend settings: %d %v", be.MaxConn, be.DefaultBackend)
	}
}

func TestInheritedSettings(t *testing.T) {
	cfg := mustParse(t, `defaults
    mode http
    timeout client 1s
    timeout server 2s
    timeout connect 3s
    timeout http-request 4s
    timeout http-keep-alive 5s
    timeout queue 6s
    timeout tunnel 7s
    timeout check 8s
    option redispatch 2
    option persist
    option forwardfor header X-Real
    option http-server-close
    option httplog
    option dontlognull
    option http-ignore-probes
    option httpchk GET /h
    option checkcache
    option allbackups
    http-check send meth HEAD uri /x
    http-check expect status 200
    http-check disable-on-404
    default-server inter 3s rise 4 fall 5 weight 9 init-addr none
    log 127.0.0.1:514 local0
    balance uri depth 2

frontend fe
    bind :18080
    default_backend be

backend be
    server s1 127.0.0.1:1

backend own
    http-check expect status 204
    default-server weight 2
    no option persist
    no option allbackups
    server s1 127.0.0.1:1
`)
	be := cfg.Backend("be")
	wantT := Timeouts{Client: time.Second, Server: 2 * time.Second, Connect: 3 * time.Second, HTTPRequest: 4 * time.Second,
		HTTPKeepAlive: 5 * time.Second, Queue: 6 * time.Second, Tunnel: 7 * time.Second, Check: 8 * time.Second}
	if be.Timeouts != wantT {
		t.Errorf("timeouts %+v", be.Timeouts)
	}
	o := be.Options
	if !o.Redispatch || o.RedispatchInterval != 2 || !o.Persist || !o.ForwardFor.Enabled || o.ForwardFor.Header != "X-Real" ||
		o.ConnMode != ServerClose || !o.HTTPLog || !o.DontLogNull || !o.IgnoreProbes || !o.CheckCache || !o.AllBackups ||
		o.HTTPChk != (HTTPChk{Enabled: true, Method: "GET", URI: "/h", Version: "HTTP/1.0"}) {
		t.Errorf("options %+v", o)
	}
	if len(be.HTTPCheck.Rules) != 2 || !be.HTTPCheck.DisableOn404 || be.HTTPCheck.Rules[0].Method != "HEAD" {
		t.Errorf("http-check %+v", be.HTTPCheck)
	}
	s := be.Servers[0]
	if s.Inter != 3*time.Second || s.FastInter != 3*time.Second || s.DownInter != 3*time.Second || s.Rise != 4 || s.Fall != 5 || s.Weight != 9 ||
		!reflect.DeepEqual(s.InitAddr, []InitAddr{{Method: InitNone}}) {
		t.Errorf("server %+v", s)
	}
	if len(be.Logs) != 1 || be.Logs[0].Facility != "local0" {
		t.Errorf("logs %+v", be.Logs)
	}
	if be.Balance.Algo != URI || be.Balance.Depth != 2 {
		t.Errorf("balance %+v", be.Balance)
	}
	own := cfg.Backend("own")
	if len(own.HTTPCheck.Rules) != 1 || own.HTTPCheck.Rules[0].Statuses[0] != (StatusRange{204, 204}) {
		t.Errorf("own rules replace inherited ones: %+v", own.HTTPCheck.Rules)
	}
	if own.Servers[0].Weight != 2 || own.Servers[0].Rise != 4 || own.Options.Persist || own.Options.AllBackups {
		t.Errorf("own: %+v persist %v", own.Servers[0], own.Options.Persist)
	}
	if len(cfg.Defaults[0].HTTPCheck.Rules) != 2 {
		t.Errorf("defaults rules changed: %+v", cfg.Defaults[0].HTTPCheck.Rules)
	}
}

func TestNamedDefaults(t *testing.T) {
	cfg := mustParse(t, `defaults base
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 2s
    cookie BASE insert

defaults strict from base
    timeout server 1s

defaults
    mode http
    timeout server 9s

frontend fe from strict
    bind 127.0.0.1:18080
    default_backend be

backend be from base

backend last
`)
	fe, be, last := cfg.Proxies[0], cfg.Backend("be"), cfg.Backend("last")
	if fe.From != "strict" || fe.Timeouts.Server != time.Second || fe.Timeouts.Client != 5*time.Second {
		t.Errorf("fe from strict: %q %+v", fe.From, fe.Timeouts)
	}
	if be.From != "base" || be.Timeouts.Server != 5*time.Second || be.Cookie.Name != "BASE" {
		t.Errorf("be from base: %q %+v %q", be.From, be.Timeouts, be.Cookie.Name)
	}
	// The last defaults section starts from scratch: no cookie, no client timeout.
	if last.From != "" || last.Timeouts.Server != 9*time.Second || last.Timeouts.Client != 0 || last.Cookie.Enabled() {
		t.Errorf("last: %q %+v %+v", last.From, last.Timeouts, last.Cookie)
	}
	if cfg.Defaults[1].Cookie.Name != "BASE" {
		t.Errorf("defaults strict from base did not inherit the cookie")
	}
}

func TestDefaultsErrors(t *testing.T) {
	tests := []struct {
		text string
		line string
		sev  Severity
		msg  string
	}{
		{"defaults\n    mode http\nbackend be from nope\n", "backend be", Alert, "defaults section 'nope' not found for backend 'be'."},
		{"defaults d\n    mode http\nfrontend fe from d\n    bind :18080\nbackend be\n", "backend be", Warning,
			"defaults section 'd' (declared at t.cfg:1) is explicitly referenced by another proxy and implicitly used here."},
		{"defaults d\n    mode http\ndefaults d\n    mode http\nfrontend fe from d\n    bind :1\n", "frontend fe", Alert,
			"ambiguous defaults section name 'd' referenced by frontend 'fe' exists at least at t.cfg:1 and t.cfg:3."},
		{"defaults d/x\n    mode http\nfrontend fe from d/x\n    bind :1\n", "frontend fe", Alert,
			"character '/' is not permitted in defaults section name 'd/x' when designated by its name (section found at t.cfg:1)."},
		{"defaults\n    mode http\n    force-persist if TRUE\n", "force-persist", Alert, "'force-persist' not allowed in 'defaults' section."},
		{"defaults\n    mode http\n    ignore-persist if TRUE\n", "ignore-persist", Alert, "'ignore-persist' not allowed in 'defaults' section."},
		{"defaults\n    mode http\n    use-server s1 if TRUE\n", "use-server", Alert, "'use-server' not allowed in 'defaults' section."},
		{"defaults\n    mode http\n    server s1 127.0.0.1:1\n", "server", Alert, "'server' not allowed in 'defaults' section."},
		{"defaults\n    mode http\n    capture cookie SRV len 10\n", "capture", Alert, "'capture cookie' not allowed in 'defaults' section."},
		{"defaults\n    mode http\n    capture request header Host len 10\n", "capture", Alert, "'capture request' not allowed in 'defaults' section."},
		{"defaults\n    mode http\n    bind :80\n", "bind", Alert, "'bind' not allowed in 'defaults' section."},
		{"defaults\n    mode http\n    acl a path /\n", "acl", Alert, "'acl' not allowed in 'defaults' section."},
		{"defaults\n    mode http\n    use_backend be\n", "use_backend", Alert, "'use_backend' not allowed in 'defaults' section."},
	}
	for _, tt := range tests {
		expectDiag(t, tt.text, tt.sev, lineOf(tt.text, tt.line), tt.msg)
	}
}
