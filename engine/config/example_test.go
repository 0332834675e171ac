package config_test

import (
	"errors"
	"fmt"

	"tether/engine/config"
)

func ExampleParse() {
	cfg, err := config.Parse(config.File{Name: "site.cfg", Data: []byte(`defaults
    mode http
    timeout client 30s
    timeout server 30s
    timeout connect 5s

frontend web
    bind 127.0.0.1:8080
    default_backend app

backend app
    cookie SRV insert indirect nocache
    server s1 127.0.0.1:9001 cookie a
    server s2 127.0.0.1:9002 cookie b
`)})
	if err != nil {
		fmt.Println(err)
		return
	}
	app := cfg.Backend("app")
	fmt.Println(cfg.Proxies[0].Binds[0].Addr, "->", cfg.Proxies[0].DefaultBackend.Name)
	fmt.Println(app.Cookie.Name, app.Cookie.Mode, app.Cookie.Indirect, app.Cookie.NoCache)
	for _, s := range app.Servers {
		fmt.Println(s.Name, s.Addr.IP, s.Addr.Port, s.Cookie)
	}
	// Output:
	// 127.0.0.1:8080 -> app
	// SRV insert true true
	// s1 127.0.0.1 9001 a
	// s2 127.0.0.1 9002 b
}

func ExampleError() {
	_, err := config.Parse(config.File{Name: "site.cfg", Data: []byte("backend web\n    mode http\n    cookie SRV rewrite indirect\n")})
	var cerr *config.Error
	if errors.As(err, &cerr) {
		for _, d := range cerr.Diags {
			fmt.Println(d.String())
		}
	}
	// Output:
	// [ALERT] parsing [site.cfg:3] : 'cookie' in backend 'web': cookie 'rewrite' and 'indirect' modes are incompatible.
}
