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

// TetherProxy runs the tether binary at path on HAProxyConfig.
func TetherProxy(path string) Proxy {
	return Proxy{Name: "tether", Command: []string{path, "-f", "{config}"}, Config: HAProxyConfig}
}

// HAProxyProxy runs the haproxy binary at path, in the foreground, on
// HAProxyConfig.
func HAProxyProxy(path string) Proxy {
	return Proxy{Name: "haproxy", Command: []string{path, "-db", "-f", "{config}"}, Config: HAProxyConfig}
}
