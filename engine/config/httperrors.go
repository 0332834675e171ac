package config

// An http-errors section names a set of errorfiles that proxies import with
// `errorfiles <name> [<code> ...]`. As HAProxy 2.6, the section may come
// after the proxies that name it: the imports are resolved once every file
// is read, in the order of the lines that set a proxy's replies, so that an
// import overrides the earlier `errorfile` lines of the proxy (and those it
// inherited) and is overridden by the later ones.

// httpErrors is one http-errors section.
type httpErrors struct {
	name  string
	file  string
	line  int
	files errorFiles
}

// errorImport is one `errorfiles` line, resolved by finish.
type errorImport struct {
	name  string
	codes []int // the statuses imported; none for all
	seq   int   // its place among the lines setting replies
	file  string
	line  int
}

// startHTTPErrors opens an http-errors section.
func (p *parser) startHTTPErrors(words []string) {
	p.sect, p.sectionName = sectHTTPErrors, "http-errors"
	if len(words) < 2 {
		p.alert("missing name for http-errors section.")
		return
	}
	name := words[1]
	p.sectionDesc = "http-errors '" + name + "'"
	if o := p.httpErrors[name]; o != nil {
		p.alert("http-errors section '" + name + "' already exists (declared at " + place(o.file, o.line) + ").")
		return
	}
	if p.httpErrors == nil {
		p.httpErrors = map[string]*httpErrors{}
	}
	p.he = &httpErrors{name: name, file: p.file, line: p.line}
	p.httpErrors[name] = p.he
}

// parseHTTPErrors parses a line of an http-errors section: errorfile lines
// only.
func (p *parser) parseHTTPErrors(words []string) {
	p.kw = words[0]
	if words[0] != "errorfile" {
		p.alert("unknown keyword '" + words[0] + "' in 'http-errors' section")
		return
	}
	if p.he == nil {
		return // the section's header was refused
	}
	if f, slot := p.errorFileLine(args(words[1:])); f != nil {
		p.he.files[slot] = f
	}
}

// parseErrorFiles reads `errorfiles <name> [<code> ...]`.
func (p *parser) parseErrorFiles(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("expects <name> as argument.")
		return
	}
	imp := errorImport{name: a[0], seq: p.nextErrorSeq(), file: p.file, line: p.line}
	for _, w := range a[1:] {
		code := int(int32(atoi(w)))
		if errorSlot(code) < 0 {
			p.alert("status code '" + itoa(code) + "' not handled.")
			return
		}
		imp.codes = append(imp.codes, code)
	}
	px.errorImports = append(px.errorImports, imp)
}

// nextErrorSeq numbers a line that sets replies of a proxy.
func (p *parser) nextErrorSeq() int {
	p.errorSeq++
	return p.errorSeq
}

// resolveErrorImports applies the `errorfiles` lines of px, in order. A
// status listed that the section does not declare is warned about.
func (p *parser) resolveErrorImports(px *Proxy) {
	for _, imp := range px.errorImports {
		he := p.httpErrors[imp.name]
		if he == nil {
			p.alertAt(imp.file, imp.line, describe(px), "errorfiles", "proxy '"+px.Name+"': unknown http-errors section '"+imp.name+"'.")
			continue
		}
		for _, code := range imp.codes {
			if he.files[errorSlot(code)] == nil {
				p.warnAt(imp.file, imp.line, describe(px), "errorfiles", "proxy '"+px.Name+"' : status '"+itoa(code)+"' not declared in http-errors section '"+imp.name+"'.")
			}
		}
		for slot, f := range he.files {
			if f == nil || imp.seq < px.errorSeqs[slot] {
				continue
			}
			if len(imp.codes) > 0 && !containsInt(imp.codes, f.Code) {
				continue
			}
			px.errorFiles[slot], px.errorSeqs[slot] = f, imp.seq
		}
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
