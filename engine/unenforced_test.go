package engine

import (
	"strings"
	"testing"

	"tether/engine/config"
)

func TestUnenforcedWarnsOncePerBackend(t *testing.T) {
	t.Parallel()
	text := `resolvers dns
    nameserver ns1 127.0.0.1:53
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 5s
frontend fe
    bind 127.0.0.1:8080
    default_backend checked
backend checked
    option httpchk
    http-check send meth GET uri /a
    http-check expect status 200
    http-check send meth GET uri /b
    server a 127.0.0.1:1
    server b 127.0.0.1:2 check
backend single
    option httpchk
    http-check send meth GET uri /a
    http-check expect status 200
    server c 127.0.0.1:3 check
backend resolved
    server-template web 2 localhost:80 resolvers dns init-addr none
listen plain
    bind 127.0.0.1:8081
    server d 127.0.0.1:4
`
	cfg, err := config.Parse(config.File{Name: "t.cfg", Data: []byte(text)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range Unenforced(cfg) {
		if d.Severity != config.Warning {
			t.Errorf("%s: not a warning", d.String())
		}
		got = append(got, d.String())
	}
	want := []string{
		"[WARNING] parsing [t.cfg:11] : 'http-check' in backend 'checked': tether runs HTTP checks of one request",
	}
	if len(got) != len(want) {
		t.Fatalf("warnings:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("warning %d = %q, want it to start with %q", i, got[i], want[i])
		}
	}
}

func TestUnenforcedTCPNameserver(t *testing.T) {
	t.Parallel()
	text := "resolvers dns\n    nameserver ns1 127.0.0.1:53\n    nameserver ns2 tcp@127.0.0.1:53\n"
	cfg, err := config.Parse(config.File{Name: "t.cfg", Data: []byte(text)})
	if err != nil {
		t.Fatal(err)
	}
	got := Unenforced(cfg)
	want := "[WARNING] parsing [t.cfg:1] : 'nameserver' in resolvers 'dns': tether does not query nameservers over TCP yet: nameserver 'ns2' is not used."
	if len(got) != 1 || got[0].String() != want {
		t.Fatalf("warnings %v, want %q", got, want)
	}
}
