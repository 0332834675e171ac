package config

// parseLogTag checks the argument of `log-tag`, in the global section or a
// proxy, as HAProxy 2.6 does.
func (p *parser) parseLogTag(a []string) (string, bool) {
	if len(a) == 0 || a[0] == "" {
		p.alert("'log-tag' expects a tag for use in syslog.")
		return "", false
	}
	return a[0], true
}

// parseProxyLogTag parses `log-tag` in a proxy; HAProxy ignores what
// follows the tag there.
func (p *parser) parseProxyLogTag(px *Proxy, a []string) {
	if tag, ok := p.parseLogTag(a); ok {
		px.LogTag = tag
	}
}
