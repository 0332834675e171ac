package config

// A frontend's unique-id-format gives each request an ID, rendered as a
// log line is, from the request's samples and the log's variables; its
// unique-id-header sends the ID to the server in a field of that name. The
// ID is the `unique-id` sample and the %ID variable of log lines.

// parseUniqueIDFormat parses `unique-id-format <string>`.
func (p *parser) parseUniqueIDFormat(px *Proxy, a []string) {
	switch len(a) {
	case 0:
		p.alert("unique-id-format expects an argument.")
		return
	case 1:
	default:
		p.alert("unique-id-format expects only one argument, don't forget to escape spaces!")
		return
	}
	if a[0] == "" {
		px.UniqueIDFormat = nil
		return
	}
	f, msg := parseLF(a[0], lfUniqueID)
	if msg != "" {
		p.alert("failed to parse unique-id : " + msg)
		return
	}
	px.UniqueIDFormat = f
}

// parseUniqueIDHeader parses `unique-id-header <name>`; HAProxy ignores
// the words after the name.
func (p *parser) parseUniqueIDHeader(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("unique-id-header expects an argument.")
		return
	}
	px.UniqueIDHeader = a[0]
}
