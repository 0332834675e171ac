package config

import (
	"net/netip"
	"reflect"
	"testing"
	"time"
)

func TestBind(t *testing.T) {
	cfg := mustParse(t, header+"backend be\nfrontend f2\n    bind :18081\n    bind *:18082\n    bind 127.0.0.1:18083,[::1]:18084\n    bind ipv6@:18085\n    bind :::18086\n    bind /tmp/t.sock\n")
	want := []ListenAddr{
		{Name: ":18081", Network: NetTCP4, Addr: netip.MustParseAddrPort("0.0.0.0:18081")},
		{Name: "*:18082", Network: NetTCP4, Addr: netip.MustParseAddrPort("0.0.0.0:18082")},
		{Name: "127.0.0.1:18083", Network: NetTCP4, Addr: netip.MustParseAddrPort("127.0.0.1:18083")},
		{Name: "[::1]:18084", Network: NetTCP6, Addr: netip.MustParseAddrPort("[::1]:18084")},
		{Name: "ipv6@:18085", Network: NetTCP6, Addr: netip.MustParseAddrPort("[::]:18085")},
		{Name: ":::18086", Network: NetTCP6, Addr: netip.MustParseAddrPort("[::]:18086")},
		{Name: "/tmp/t.sock", Network: NetUnix, Path: "/tmp/t.sock"},
	}
	lines := []int{13, 14, 15, 15, 16, 17, 18} // "a,b" makes two binds of one line
	var got []ListenAddr
	for i, b := range cfg.Proxies[2].Binds {
		got = append(got, b.ListenAddr)
		if b.File != "t.cfg" || i < len(lines) && b.Line != lines[i] {
			t.Errorf("bind %s at %s:%d", b.Name, b.File, b.Line)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("binds\n got %+v\nwant %+v", got, want)
	}
	if !cfg.HasListener() {
		t.Error("HasListener false")
	}
	if !mustParse(t, "global\n    stats socket 127.0.0.1:9999\ndefaults\n    mode http\nbackend be\n").HasListener() {
		t.Error("a stats socket alone is no listener")
	}
	if mustParse(t, "defaults\n    mode http\nbackend be\n").HasListener() {
		t.Error("HasListener true without a frontend")
	}
}

func TestTimeouts(t *testing.T) {
	be := backend(t, "    timeout server 1m\n    timeout connect 500\n    timeout queue 2s\n    timeout tunnel 1h\n    timeout check 1500us\n    timeout http-keep-alive 1d\n    timeout http-request 10s\n")
	want := Timeouts{Client: 5 * time.Second, Server: time.Minute, Connect: 500 * time.Millisecond, Queue: 2 * time.Second,
		Tunnel: time.Hour, Check: 2 * time.Millisecond, HTTPKeepAlive: 24 * time.Hour, HTTPRequest: 10 * time.Second}
	if be.Timeouts != want {
		t.Errorf("got %+v\nwant %+v", be.Timeouts, want)
	}
}

func TestBalance(t *testing.T) {
	tests := []struct {
		line string
		want Balance
	}{
		{"balance roundrobin", Balance{Algo: RoundRobin, Draws: 2}},
		{"balance roundrobin ignored", Balance{Algo: RoundRobin, Draws: 2}},
		{"balance static-rr", Balance{Algo: StaticRR, Draws: 2}},
		{"balance leastconn", Balance{Algo: LeastConn, Draws: 2}},
		{"balance first", Balance{Algo: First, Draws: 2}},
		{"balance source", Balance{Algo: Source, Draws: 2}},
		{"balance random", Balance{Algo: Random, Draws: 2}},
		{"balance random(5)", Balance{Algo: Random, Draws: 5}},
		{"balance uri", Balance{Algo: URI, Draws: 2}},
		{"balance uri whole len 10 depth 3", Balance{Algo: URI, Draws: 2, Whole: true, Len: 10, Depth: 3}},
		{"balance url_param sid", Balance{Algo: URLParam, Draws: 2, Param: "sid"}},
		{"balance hdr(Host)", Balance{Algo: Hdr, Draws: 2, Param: "Host"}},
		{"balance hdr(host) use_domain_only", Balance{Algo: Hdr, Draws: 2, Param: "host", UseDomainOnly: true}},
	}
	for _, tt := range tests {
		if be := backend(t, "    "+tt.line+"\n"); be.Balance != tt.want {
			t.Errorf("%s: got %+v want %+v", tt.line, be.Balance, tt.want)
		}
	}
}

func TestOptions(t *testing.T) {
	be := backend(t, `    option redispatch
    option persist
    option forwardfor except 127.0.0.0/8 header X-Client if-none
    option httpclose
    option httpchk HEAD /health HTTP/1.1
    option checkcache
`)
	want := Options{Redispatch: true, RedispatchInterval: -1, Persist: true,
		ForwardFor: ForwardFor{Enabled: true, Except: netip.MustParsePrefix("127.0.0.0/8"), Header: "X-Client", IfNone: true},
		ConnMode:   Close, HTTPChk: HTTPChk{Enabled: true, Method: "HEAD", URI: "/health", Version: "HTTP/1.1"}, CheckCache: true}
	if be.Options != want {
		t.Errorf("got %+v\nwant %+v", be.Options, want)
	}
	for line, check := range map[string]func(Options) bool{
		"option redispatch 3\n":                                       func(o Options) bool { return o.Redispatch && o.RedispatchInterval == 3 },
		"option redispatch -2\n":                                      func(o Options) bool { return o.Redispatch && o.RedispatchInterval == -2 },
		"option redispatch 0\n":                                       func(o Options) bool { return !o.Redispatch },
		"option redispatch\n    no option redispatch\n":               func(o Options) bool { return !o.Redispatch },
		"option forwardfor\n":                                         func(o Options) bool { return o.ForwardFor.Enabled && o.ForwardFor.Header == "X-Forwarded-For" },
		"option forwardfor except 10.0.0.0/255.0.0.0\n":               func(o Options) bool { return o.ForwardFor.Except == netip.MustParsePrefix("10.0.0.0/8") },
		"option httpchk /ping\n":                                      func(o Options) bool { return o.HTTPChk == HTTPChk{true, "OPTIONS", "/ping", "HTTP/1.0"} },
		"option http-server-close\n    no option http-server-close\n": func(o Options) bool { return o.ConnMode == KeepAlive },
		"option httpclose\n    option http-keep-alive\n":              func(o Options) bool { return o.ConnMode == KeepAlive },
	} {
		if o := backend(t, "    "+line).Options; !check(o) {
			t.Errorf("%q: %+v", line, o)
		}
	}
}

func TestHTTPCheck(t *testing.T) {
	be := backend(t, `    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host example.com hdr X-A b body ping
    http-check expect status 200-299,304
    http-check expect ! rstatus ^5
    http-check expect rstring ok$
    http-check expect !string error
    http-check disable-on-404
`)
	h := be.HTTPCheck
	if !h.DisableOn404 || len(h.Rules) != 5 {
		t.Fatalf("%+v", h)
	}
	send := h.Rules[0]
	if send.Kind != CheckSend || send.Method != "GET" || send.URI != "/health" || send.Version != "HTTP/1.1" || send.Body != "ping" ||
		!reflect.DeepEqual(send.Headers, []Header{{"Host", "example.com"}, {"X-A", "b"}}) {
		t.Errorf("send %+v", send)
	}
	if r := h.Rules[1]; r.Expect != ExpectStatus || r.Negate || !reflect.DeepEqual(r.Statuses, []StatusRange{{200, 299}, {304, 304}}) {
		t.Errorf("status %+v", r)
	}
	if r := h.Rules[2]; r.Expect != ExpectRStatus || !r.Negate || !r.Regexp.MatchString("503") {
		t.Errorf("rstatus %+v", r)
	}
	if r := h.Rules[3]; r.Expect != ExpectRString || r.Regexp == nil {
		t.Errorf("rstring %+v", r)
	}
	if r := h.Rules[4]; r.Expect != ExpectString || !r.Negate || r.Pattern != "error" {
		t.Errorf("string %+v", r)
	}
}

func TestRulesResolved(t *testing.T) {
	cfg := mustParse(t, header+"backend be\nbackend api\nfrontend f2\n    bind :18081\n    use_backend api if { path_beg /api }\n    use_backend be\n    default_backend api\n")
	f2 := cfg.Proxies[3]
	if f2.UseBackends[0].Backend != cfg.Backend("api") || f2.UseBackends[1].Backend != cfg.Backend("be") || f2.UseBackends[1].Cond != nil || f2.DefaultBackend != cfg.Backend("api") {
		t.Errorf("rules %+v default %v", f2.UseBackends, f2.DefaultBackend)
	}
	if cfg.Proxies[0].ID != 1 || f2.ID != 4 {
		t.Errorf("ids %d %d", cfg.Proxies[0].ID, f2.ID)
	}
	cfg = mustParse(t, "global\n    stats socket ipv4@127.0.0.1:19999\n"+header+"backend be\n")
	if cfg.Proxies[0].ID != 2 || cfg.Proxies[1].ID != 3 {
		t.Errorf("ids with a stats socket: %d %d", cfg.Proxies[0].ID, cfg.Proxies[1].ID)
	}
}

func TestCaptureAndMaxconn(t *testing.T) {
	cfg := mustParse(t, header+"backend be\nfrontend f2\n    bind :18081\n    maxconn 1000\n    capture cookie SRV len 100\n")
	f2 := cfg.Proxies[2]
	if f2.MaxConn != 1000 || f2.CaptureCookie != (CaptureCookie{Name: "SRV", Len: 64}) {
		t.Errorf("%d %+v", f2.MaxConn, f2.CaptureCookie)
	}
	cfg = mustParse(t, header+"backend be\nfrontend f2\n    bind :18081\n    capture request header Host len 15\n"+
		"    capture response header Content-Type len x\n    capture request header X-Forwarded-For len 40\n")
	f2 = cfg.Proxies[2]
	if want := []CaptureHeader{{"Host", 15}, {"X-Forwarded-For", 40}}; !reflect.DeepEqual(f2.CaptureRequest, want) {
		t.Errorf("request captures %+v, want %+v", f2.CaptureRequest, want)
	}
	if want := []CaptureHeader{{"Content-Type", 0}}; !reflect.DeepEqual(f2.CaptureResponse, want) {
		t.Errorf("response captures %+v, want %+v", f2.CaptureResponse, want)
	}
	cfg = mustParse(t, "defaults\n    mode http\n    monitor-uri /d\n"+header[len("defaults\n    mode http\n"):]+
		"backend be\nfrontend f2\n    bind :18081\nfrontend f3\n    bind :18082\n    monitor-uri /a\n    monitor-uri /b\n")
	fes := map[string]string{}
	for _, px := range cfg.Proxies {
		fes[px.Name] = px.MonitorURI
	}
	if fes["fe"] != "/d" || fes["f2"] != "/d" || fes["f3"] != "/b" || fes["be"] != "" {
		t.Errorf("monitor-uri by proxy %v: want /d inherited by frontends, the last one of f3, none in the backend", fes)
	}
	cfg = mustParse(t, header+"backend be\n    option srvtcpka\n    option http-no-delay\nlisten l\n    bind :18083\n    option tcpka\n    no option srvtcpka\n")
	// option allbackups reaches balancing, even before a balance line.
	cfg2 := mustParse(t, header+"backend be\n    option allbackups\n    balance leastconn\nbackend b2\n    balance first\n")
	if !cfg2.Backend("be").Balance.AllBackups || cfg2.Backend("b2").Balance.AllBackups {
		t.Errorf("Balance.AllBackups %v / %v, want true / false", cfg2.Backend("be").Balance.AllBackups, cfg2.Backend("b2").Balance.AllBackups)
	}
	if be, l := cfg.Backend("be"), cfg.Backend("l"); !be.Options.SrvTCPKA || be.Options.CliTCPKA || !l.Options.CliTCPKA || l.Options.SrvTCPKA {
		t.Errorf("tcpka: backend %+v, listen %+v", be.Options, l.Options)
	}
}

func TestProxyErrors(t *testing.T) {
	tests := []diagCase{
		{"backend\n", "backend", Alert, "'backend' expects an <id> argument"},
		{"backend b/x\n", "backend b/x", Alert, "character '/' is not permitted in 'backend' name 'b/x'."},
		{"backend be\nbackend be\n", "backend be", Alert, "backend 'be' has the same name as backend 'be' declared at t.cfg:"},
		{"backend be\nlisten be\n", "listen be", Alert, "listen 'be' has the same name as backend 'be'"},
		{"backend be from nope\n", "backend be", Alert, "defaults section 'nope' not found for backend 'be'."},
		{"backend be\n    foo bar\n", "foo bar", Alert, "unknown keyword 'foo' in 'backend' section"},
		{"backend be\n    http-request set-log-level silent\n", "http-request", Alert, "'http-request set-log-level' is not supported yet by tether"},
		{"backend be\n    stick-table type ip size 1m\n", "stick-table", Alert, "'stick-table' is not supported yet by tether"},
		{"backend be\n    mode tcp\n", "backend be", Alert, "backend 'be' is in tcp mode"},
		{"backend be\n    mode health\n", "mode", Alert, "'mode health' is not supported yet by tether"},
		{"backend be\n    mode foo\n", "mode", Alert, "unknown proxy mode 'foo'."},
		{"backend be\n    option foo\n", "option", Alert, "unknown option 'foo'."},
		{"backend be\n    option tcplog\n", "option", Alert, "'option tcplog' is not supported yet by tether"},
		{"backend be\n    no timeout server\n", "no timeout", Alert, "'no' is not supported on 'timeout'"},
		{"backend be\n    timeout server\n", "timeout", Alert, "'timeout server' expects an integer value (in milliseconds)"},
		{"backend be\n    timeout server 10q\n", "timeout", Alert, "unexpected character 'q' in 'timeout server'"},
		{"backend be\n    timeout server 30d\n", "timeout", Alert, "timer overflow in argument '30d' to 'timeout server' (maximum value is 2147483647 ms or ~24.8 days)"},
		{"backend be\n    timeout foo 3\n", "timeout", Alert, "'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got 'foo')"},
		{"backend be\n    timeout server 1s 2\n", "timeout", Alert, "'timeout server' : unexpected extra argument '2' after value '1s'."},
		{"backend be\n    timeout client-fin 1s\n", "timeout", Warning, "'timeout client-fin' will be ignored because backend 'be' has no frontend capability"},
		{"backend be\n    timeout client 1s\n", "timeout", Warning, "'timeout client' will be ignored because backend 'be' has no frontend capability"},
		{"backend be\n    timeout server 1sx\n", "timeout", Warning, "unexpected character 'x' after the timer value '1sx'"},
		{"backend be\n    retries 3 4\n", "retries", Alert, "'retries' cannot handle unexpected argument '4'."},
		{"backend be\n    mode http x\n", "mode", Alert, "'mode' cannot handle unexpected argument 'x'."},
		{"backend be\n    option persist x\n", "option", Alert, "'option persist' cannot handle unexpected argument 'x'."},
		{"frontend fe\n    option http-ignore-probes x\n", "option", Alert, "'option http-ignore-probes' cannot handle unexpected argument 'x'."},
		{"backend be\n    no option http-server-close x\n", "option", Alert, "'option http-server-close' cannot handle unexpected argument 'x'."},
		{"backend be\n    option redispatch 1 2\n", "option", Alert, "'option redispatch' cannot handle unexpected argument '2'."},
		{"backend be\n    no option forwardfor\n", "option", Alert, "negation/default is not supported for option 'forwardfor'."},
		{"backend be\n    no option httpchk\n", "option", Alert, "negation/default is not supported for option 'httpchk'."},
		{"backend be\n    option httplog x\n", "option", Alert, "keyword 'httplog' only supports option 'clf'."},
		{"backend be\n    http-check disable-on-404 x\n", "http-check", Alert, "'http-check' cannot handle unexpected argument 'x'."},
		{"backend be\n    retries\n", "retries", Alert, "'retries' expects an integer argument (dispatch counts for one)."},
		{"backend be\n    http-reuse\n", "http-reuse", Alert, "'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'."},
		{"backend be\n    http-reuse sometimes\n", "http-reuse", Alert, "'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'."},
		{"backend be\n    http-reuse safe x\n", "http-reuse", Alert, "'http-reuse safe' cannot handle unexpected argument 'x'."},
		{"backend be\n    maxconn 10\n", "maxconn", Warning, "'maxconn' ignored because backend 'be' has no frontend capability. Maybe you want 'fullconn' instead ?"},
		{"backend be\n    option httplog\n", "option", Warning, "backend 'be' : 'option httplog' directive is ignored in backends."},
		{"backend be\n    default_backend x\n", "default_backend", Warning, "'default_backend' ignored because backend 'be' has no frontend capability."},
		{"backend be\n    balance foo\n", "balance", Alert, "balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options."},
		{"backend be\n    balance url_param\n", "balance", Alert, "balance url_param requires an URL parameter name."},
		{"backend be\n    balance url_param x foo\n", "balance", Alert, "balance url_param only accepts 'check_post' modifier (got 'foo')."},
		{"backend be\n    balance hdr()\n", "balance", Alert, "balance hdr requires an http header field name."},
		{"backend be\n    balance hdr(host) foo\n", "balance", Alert, "balance hdr(host) only accepts 'use_domain_only' modifier (got 'foo')."},
		{"backend be\n    balance random(x)\n", "balance", Alert, "balance random : unexpected character 'x' after argument."},
		{"backend be\n    balance random(0)\n", "balance", Alert, "balance random : number of draws must be at least 1."},
		{"backend be\n    balance uri len\n", "balance", Alert, "balance uri : 'len' expects a positive integer (got '')."},
		{"backend be\n    balance uri foo\n", "balance", Alert, "balance uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got 'foo')."},
		{"backend be\n    balance rdp-cookie\n", "balance", Alert, "'balance rdp-cookie' is not supported yet by tether"},
		{"backend be\n    option httpchk GET /x HTTP/1.1 extra\n", "option", Alert, "'option httpchk' cannot handle unexpected argument 'extra'."},
		{"backend be\n    option forwardfor except x\n", "option", Alert, "'option forwardfor' : invalid address: 'x'."},
		{"backend be\n    http-send-name-header\n", "http-send-name-header", Alert, "'http-send-name-header' requires a header string."},
		{"backend be\nfrontend f2\n    bind :1\n    http-send-name-header X\n", "http-send-name-header", Warning, "'http-send-name-header' ignored because frontend 'f2' has no backend capability."},
		{"backend be\n    option originalto except\n", "option", Alert, "'option originalto except' expects <address>[/mask] as argument."},
		{"backend be\n    option originalto except x\n", "option", Alert, "'option originalto except' expects <address>[/mask] as argument."},
		{"backend be\n    option originalto header\n", "option", Alert, "'option originalto header' expects <header_name> as argument."},
		{"backend be\n    option originalto if-none\n", "option", Alert, "'option originalto' only supports optional values: 'except' and 'header'."},
		{"backend be\n    no option originalto\n", "option", Alert, "negation/default is not supported for option 'originalto'."},
		{"backend be\n    option forwardfor foo\n", "option", Alert, "'option forwardfor' only supports optional values 'except', 'header' and 'if-none'."},
		{"backend be\n    http-check expect foo\n", "http-check", Alert, "but got 'foo' as argument."},
		{"backend be\n    http-check expect string\n", "http-check", Alert, "'string' expects a <pattern> as argument."},
		{"backend be\n    http-check expect status x\n", "http-check", Alert, "invalid character 'x' in the list of status codes."},
		{"backend be\n    http-check expect rstring (x\n", "http-check", Alert, "regex '(x' is invalid"},
		{"backend be\n    http-check send meth\n", "http-check", Alert, "'meth' expects a string as argument."},
		{"backend be\n    http-check send hdr Host\n", "http-check", Alert, "'hdr' expects <name> and <value> as arguments."},
		{"backend be\n    http-check send foo\n", "http-check", Alert, "expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got 'foo' as argument."},
		{"backend be\n    http-check\n", "http-check", Alert, "'http-check' only supports 'disable-on-404'"},
		{"backend be\n    http-check connect\n", "http-check", Alert, "'http-check connect' is not supported yet by tether"},
		{"backend be\n    http-check expect status 200\n", "backend be", Warning, "backend 'be' uses http-check rules without 'option httpchk', so the rules are ignored."},
		{"backend be\n    server s1 127.0.0.1:1\nbackend b2\n    mode http\n    server s1 127.0.0.1:1\n", "backend b2", Warning, ""},
		{"backend be\nlisten l3\n    bind :1\n    default_backend l3\n", "listen l3", Alert, "Proxy 'l3': loop detected for default_backend: 'l3'."},
		{"listen li\n    bind :1\n    use_backend li if TRUE\nbackend be\n", "listen li", Alert, "Proxy 'li': loop detected for use_backend: 'li'."},
		{"backend other\n", "frontend fe", Alert, "Proxy 'fe': unable to find required default_backend: 'be'."},
		{"backend be\nfrontend f2\n    bind :1\n    use_backend nope if TRUE\n", "frontend f2", Alert, "Proxy 'f2': unable to find required use_backend: 'nope'."},
		{"backend be\nfrontend f2\n    bind :1\n    use_backend fe\n", "frontend f2", Alert, "Proxy 'f2': unable to find required use_backend: 'fe'."},
		{"backend be\nfrontend f2\n    bind :1\n    use_backend be when x\n", "use_backend", Alert, "'use_backend' expects a condition after the backend name"},
		{"backend be\nfrontend f2\n    bind :1\n    use_backend be_%[path]\n", "use_backend", Alert, "dynamic backend names in 'use_backend' is not supported yet by tether"},
		{"backend be\nfrontend f2\n    default_backend be\n", "frontend f2", Warning, "frontend 'f2' has no 'bind' directive. Please declare it as a backend if this was intended."},
		{"backend be\nfrontend f2\n    bind 127.0.0.1:0\n", "bind", Alert, "invalid port '0'"},
		{"backend be\nfrontend f2\n    bind 127.0.0.1\n", "bind", Alert, "missing port specification in '127.0.0.1'"},
		{"backend be\nfrontend f2\n    bind 127.0.0.1:80 ssl crt x.pem\n", "bind", Alert, "'ssl' on 'bind' is not supported yet by tether"},
		{"backend be\nfrontend f2\n    bind :::80 v6only name web\n", "bind", Alert, "'name' on 'bind' is not supported yet by tether"},
		{"backend be\n    id 0\n", "id", Alert, "custom id has to be > 0."},
		{"backend be\n    id\n", "id", Alert, "'id' expects an integer argument."},
		{"backend be\n    id 7\nbackend b2\n    id 7\n", "id 7", Alert, "backend 'b2' reuses same custom id as backend 'be' (declared at t.cfg:"},
		{"backend be\n    description\n", "description", Alert, "'description' expects a string argument."},
		{"backend be\n    errorloc302 503\n", "errorloc302", Alert, "expects <status_code> and <url> as arguments."},
		{"backend be\n    errorloc303 999 /x\n", "errorloc303", Alert, "status code '999' not handled."},
		{"backend be\nfrontend f2\n    bind fd@3\n", "bind", Alert, "address family 'fd@' is not supported yet by tether"},
		{"backend be\nfrontend f2\n    bind :1\n    capture cookie SRV\n", "capture", Alert, "'capture' expects 'cookie' <cookie_name> 'len' <len>."},
		{"backend be\nfrontend f2\n    bind :1\n    capture request header Host\n", "capture", Alert, "'capture request' expects 'header' <header_name> 'len' <len>."},
		{"backend be\nfrontend f2\n    bind :1\n    capture response header X len 5 extra\n", "capture", Alert, "'capture response' cannot handle unexpected argument 'extra'."},
		{"backend be\nfrontend f2\n    bind :1\n    capture request\n", "capture", Alert, "'capture' expects 'cookie' or 'request header' or 'response header'."},
		{"backend be\nfrontend f2\n    bind :1\n    monitor-uri\n", "monitor-uri", Alert, "'monitor-uri' expects an URI."},
		{"backend be\nfrontend f2\n    bind :1\n    monitor-uri /a /b\n", "monitor-uri", Alert, "'monitor-uri' cannot handle unexpected argument '/b'."},
		{"backend be\n    monitor-uri /a\n", "monitor-uri", Warning, "'monitor-uri' ignored because backend 'be' has no frontend capability."},
		{"backend be\n    option clitcpka\n", "option clitcpka", Warning, "'clitcpka' ignored because backend 'be' has no frontend capability."},
		{"backend be\n    option tcp-smart-accept\n", "option tcp-smart-accept", Warning, "'tcp-smart-accept' ignored because backend 'be' has no frontend capability."},
		{"backend be\n    option splice-auto x\n", "option splice-auto", Alert, "'option splice-auto' cannot handle unexpected argument 'x'."},
		{"backend be\nfrontend f2\n    bind :1\n    option allbackups\n", "option allbackups", Warning, "'allbackups' ignored because frontend 'f2' has no backend capability."},
		{"backend be\nfrontend f2\n    bind :1\n    option abortonclose\n", "option abortonclose", Warning, "'abortonclose' ignored because frontend 'f2' has no backend capability."},
		{"backend be\nfrontend f2\n    bind :1\n    option http-pretend-keepalive\n", "option http-pretend-keepalive", Warning, "'http-pretend-keepalive' ignored because frontend 'f2' has no backend capability."},
		{"backend be\n    option http-restrict-req-hdr-names\n", "option", Alert, "missing parameter. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option."},
		{"backend be\n    option http-restrict-req-hdr-names foo\n", "option", Alert, "invalid parameter 'foo'. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option."},
		{"backend be\n    option http-restrict-req-hdr-names delete x\n", "option", Alert, "'option' cannot handle unexpected argument 'x'."},
		{"backend be\n    no option http-restrict-req-hdr-names\n", "option", Alert, "negation/default is not supported for option 'http-restrict-req-hdr-names'."},
		{"backend be\n    option logasap\n", "option logasap", Warning, "'logasap' ignored because backend 'be' has no frontend capability."},
		{"backend be\n    option abortonclose x\n", "option abortonclose", Alert, "'option abortonclose' cannot handle unexpected argument 'x'."},
		{"backend be\n    option allbackups x\n", "option allbackups", Alert, "'option allbackups' cannot handle unexpected argument 'x'."},
		{"backend be\n    option dontlognull\n", "option dontlognull", Warning, "'dontlognull' ignored because backend 'be' has no frontend capability."},
		{"backend be\nfrontend f2\n    bind :1\n    timeout client 0\n", "frontend f2", Warning, "missing timeouts for frontend 'f2'."},
		{"backend be\n    server s1 127.0.0.1:1\n    timeout server 0\n", "backend be", Warning, "missing timeouts for backend 'be'."},
		{"peers p\n    peer a 127.0.0.1:1\n", "peers", Alert, "section 'peers' is not supported yet by tether"},
	}
	checkDiags(t, tests)
}

func TestProxyLog(t *testing.T) {
	cfg := mustParse(t, header+"backend be\n    log global\n    log 127.0.0.1:514 local1 info\nbackend quiet\n    log global\n    no log\n")
	want := []LogTarget{{Global: true}, {Address: "127.0.0.1:514", Facility: "local1", Level: "info"}}
	if got := cfg.Backend("be").Logs; !reflect.DeepEqual(got, want) {
		t.Errorf("logs %+v", got)
	}
	if got := cfg.Backend("quiet").Logs; len(got) != 0 {
		t.Errorf("no log kept %+v", got)
	}
}

func TestListen(t *testing.T) {
	cfg := mustParse(t, header+"backend be\nlisten li\n    bind 127.0.0.1:18090\n    cookie SRV insert\n    acl api path_beg /api\n    use_backend be if api\n    server s1 127.0.0.1:1 cookie a\n")
	li := cfg.Proxies[2]
	if li.Cap != CapFrontend|CapBackend || len(li.Binds) != 1 || li.Cookie.Name != "SRV" || len(li.Servers) != 1 || li.UseBackends[0].Backend != cfg.Backend("be") {
		t.Errorf("listen %+v", li)
	}
	if cfg.Backend("li") != li {
		t.Error("a listen is a backend")
	}
}

// TestProxyLogTag: `log-tag` in a proxy, inherited from defaults, and
// refused without a tag.
func TestProxyLogTag(t *testing.T) {
	cfg := mustParse(t, "defaults\n    mode http\n    log-tag dflt\nfrontend fe\n    bind :80\n    log-tag web extra\nbackend be\n")
	if fe, be := cfg.Proxies[0], cfg.Backend("be"); fe.LogTag != "web" || be.LogTag != "dflt" {
		t.Errorf("tags %q %q", fe.LogTag, be.LogTag)
	}
	expectDiag(t, "backend be\n    log-tag\n", Alert, 2, "'log-tag' expects a tag for use in syslog.")
}
