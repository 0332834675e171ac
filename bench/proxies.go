package bench

// HAProxyConfig is the suite's configuration in HAProxy syntax, which tether
// reads too: one frontend, one backend over the origins, keep-alive on both
// sides, and the persistence cookie the issue measures with
// (`cookie SRV insert indirect nocache dynamic`).
const HAProxyConfig = `global
    nbthread {{.Threads}}

defaults
    mode http
    timeout client 30s
    timeout server 30s
    timeout connect 5s

frontend fe
    bind {{.Listen}}
    default_backend be

backend be
    balance roundrobin
    cookie SRV insert indirect nocache dynamic
    dynamic-cookie-key tetherbench
{{- range .Origins}}
    server {{.Name}} {{.Addr}}
{{- end}}
`

// NginxConfig is the suite's configuration for nginx: the same keep-alive
// proxying with round robin over the origins, idle server connections kept
// (`keepalive`), no access log, as the HAProxy configuration logs nothing.
// Open-source nginx cannot insert a persistence cookie (`sticky` is in
// its commercial edition only), so its run measures plain balancing.
const NginxConfig = `daemon off;
worker_processes {{.Threads}};
pid {{.Dir}}/nginx.pid;
error_log stderr error;

events {
    worker_connections 4096;
}

http {
    access_log off;
    client_body_temp_path {{.Dir}}/nginx-body;
    proxy_temp_path {{.Dir}}/nginx-proxy;
    fastcgi_temp_path {{.Dir}}/nginx-fastcgi;
    uwsgi_temp_path {{.Dir}}/nginx-uwsgi;
    scgi_temp_path {{.Dir}}/nginx-scgi;
    keepalive_requests 100000000;

    upstream be {
{{- range .Origins}}
        server {{.Addr}};
{{- end}}
        keepalive 256;
        keepalive_requests 100000000;
    }

    server {
        listen {{.Listen}};
        location / {
            proxy_pass http://be;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`

// CaddyConfig is the suite's Caddyfile: the same keep-alive proxying, with
// Caddy's own persistence cookie named SRV (`lb_policy cookie`, an HMAC of
// the chosen upstream; new users are placed at random), its admin endpoint
// and automatic HTTPS off.
const CaddyConfig = `{
	admin off
	auto_https off
}

http://{{.Listen}} {
	reverse_proxy {{- range .Origins}} {{.Addr}}{{end}} {
		lb_policy cookie SRV tetherbench
	}
}
`

// TetherProxy runs the tether binary at path on HAProxyConfig.
func TetherProxy(path string) Proxy {
	return Proxy{Name: "tether", Command: []string{path, "-f", "{config}"}, Config: HAProxyConfig}
}

// HAProxyProxy runs the haproxy binary at path, in the foreground, on
// HAProxyConfig.
func HAProxyProxy(path string) Proxy {
	return Proxy{Name: "haproxy", Command: []string{path, "-db", "-f", "{config}"}, Config: HAProxyConfig}
}

// NginxProxy runs the nginx binary at path, in the foreground, with a
// master process and Threads workers, on NginxConfig. Its users keep no
// cookie (see NginxConfig).
func NginxProxy(path string) Proxy {
	return Proxy{Name: "nginx", Command: []string{path, "-e", "stderr", "-p", "{dir}", "-c", "{config}"},
		Config: NginxConfig, NoCookie: true}
}

// CaddyProxy runs the caddy binary at path on CaddyConfig, with its data
// and configuration directories in the suite's directory. Caddy, a Go
// program, schedules its goroutines on every CPU (GOMAXPROCS is left as it
// is), whatever Threads says.
func CaddyProxy(path string) Proxy {
	return Proxy{Name: "caddy", Command: []string{path, "run", "--adapter", "caddyfile", "--config", "{config}"},
		Env:    []string{"HOME={dir}", "XDG_DATA_HOME={dir}/caddy-data", "XDG_CONFIG_HOME={dir}/caddy-config"},
		Config: CaddyConfig}
}
