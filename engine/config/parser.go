package config

import "strconv"

// sectionKind is the kind of the section being parsed.
type sectionKind uint8

const (
	sectNone       sectionKind = iota // before the first section of a file
	sectGlobal                        // global
	sectProxy                         // defaults, frontend, backend, listen
	sectResolvers                     // resolvers
	sectHTTPErrors                    // http-errors
	sectSkipped                       // a section tether does not support; its lines are ignored
)

// parser holds the state of one Parse call.
type parser struct {
	cfg    *Config
	diags  []Diag
	alerts int

	file        string
	line        int
	kw          string // keyword of the line being parsed, for diagnostics
	no          bool   // the line started with "no"
	sect        sectionKind
	sectionName string // .SECTION: the section's name, or its type when unnamed
	sectionDesc string // "backend 'web'", "global", ...

	px           *Proxy     // current proxy or defaults section
	res          *Resolvers // current resolvers section
	lastDefaults *Proxy     // the latest defaults section, used implicitly
	explicitDefs map[*Proxy]bool
	implicitDefs map[*Proxy]bool
	statsSocket  bool                   // a stats socket exists: proxy ids start at 2
	sslBases     map[string]bool        // ca-base and crt-base seen
	acls         map[string]*ACL        // named ACLs of the current proxy
	servers      map[string]*Server     // servers of the current proxy by name
	blocks       []condBlock            // open .if blocks of the current file
	errFiles     map[string]*ErrorFile  // error files read, by path
	httpErrors   map[string]*httpErrors // http-errors sections, by name
	he           *httpErrors            // current http-errors section
	errorSeq     int                    // lines setting proxies' replies so far (nextErrorSeq)
	ruleDefs     map[*Proxy]Cap         // defaults sections with rules, by the capabilities of the proxies using them
}

func newParser() *parser {
	return &parser{
		cfg: &Config{Global: Global{
			StatsTimeout: defaultStatsTimeout,
			BufSize:      16384,
			MaxHdr:       101,
		}},
		explicitDefs: map[*Proxy]bool{},
		implicitDefs: map[*Proxy]bool{},
		sslBases:     map[string]bool{},
	}
}

// diag records a diagnostic for the current line and keyword.
func (p *parser) diag(sev Severity, msg string) {
	p.diagAt(sev, p.file, p.line, p.sectionDesc, p.kw, msg)
}

// diagAt records a diagnostic about an object declared at file:line,
// outside the line being parsed (post-parse checks).
func (p *parser) diagAt(sev Severity, file string, line int, section, kw, msg string) {
	if sev == Alert {
		p.alerts++
	}
	p.diags = append(p.diags, Diag{Severity: sev, File: file, Line: line, Section: section, Keyword: kw, Message: msg})
}

func (p *parser) alert(msg string) { p.diag(Alert, msg) }
func (p *parser) warn(msg string)  { p.diag(Warning, msg) }

// alertContinue reports an alert that leaves the configuration usable.
func (p *parser) alertContinue(msg string) { p.diag(Continued, msg) }

func (p *parser) alertAt(file string, line int, section, kw, msg string) {
	p.diagAt(Alert, file, line, section, kw, msg)
}

func (p *parser) warnAt(file string, line int, section, kw, msg string) {
	p.diagAt(Warning, file, line, section, kw, msg)
}

// notSupported refuses a keyword HAProxy knows and tether does not
// implement yet.
func (p *parser) notSupported(what string) {
	p.alert(what + " is not supported yet by tether")
}

// parseLine dispatches one non-empty line.
func (p *parser) parseLine(words []string) {
	switch words[0] {
	case "global", "defaults", "frontend", "backend", "listen", "resolvers", "http-errors":
		p.endSection()
		p.kw = words[0]
		p.startSection(words)
		return
	case "peers", "userlist", "program", "ring", "cache", "mailers":
		p.endSection()
		p.kw = words[0]
		p.notSupported("section '" + words[0] + "'")
		p.sect = sectSkipped
		return
	}
	switch p.sect {
	case sectNone:
		p.alert("unknown keyword '" + words[0] + "' out of section.")
	case sectGlobal:
		p.parseGlobal(words)
	case sectProxy:
		p.parseProxy(words)
	case sectResolvers:
		p.parseResolvers(words)
	case sectHTTPErrors:
		p.parseHTTPErrors(words)
	}
}

// endSection closes the current section.
func (p *parser) endSection() {
	p.sect = sectNone
	p.px = nil
	p.res = nil
	p.he = nil
	p.sectionName = ""
	p.sectionDesc = ""
}

// startSection opens a section from its header line.
func (p *parser) startSection(words []string) {
	switch words[0] {
	case "global":
		p.sect, p.sectionName, p.sectionDesc = sectGlobal, "global", "global"
		if len(words) > 1 {
			p.alert("'global' cannot handle unexpected argument '" + words[1] + "'.")
		}
	case "resolvers":
		p.startResolvers(words)
	case "http-errors":
		p.startHTTPErrors(words)
	default:
		p.startProxy(words)
	}
}

// badNameChar returns the first character of name that HAProxy does not
// allow in proxy, server and ACL names, or 0.
func badNameChar(name string) byte {
	for i := 0; i < len(name); i++ {
		if nameClass[name[i]] == 0 {
			return name[i]
		}
	}
	return 0
}

// nameClass marks the characters allowed in names: letters, digits, '-',
// '_', '.' and ':'.
var nameClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = 1
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = 1
	}
	for _, c := range "-_.:" {
		t[c] = 1
	}
	return t
}()

// args cuts the arguments of a keyword at the first empty word, as HAProxy
// keyword parsers stop at the first empty argument.
func args(words []string) []string {
	for i, w := range words {
		if w == "" {
			return words[:i]
		}
	}
	return words
}

func itoa(n int) string { return strconv.Itoa(n) }

func place(file string, line int) string { return file + ":" + itoa(line) }
