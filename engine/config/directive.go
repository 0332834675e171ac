package config

import (
	"os"
	"strings"
)

// compatVersion is the HAProxy version whose behaviour tether reproduces;
// version_atleast() and version_before() compare with it.
var compatVersion = [3]int{2, 6, 12}

// condBlock is one level of .if/.elif/.else/.endif nesting.
type condBlock struct {
	line     int  // line of the .if
	skip     bool // the enclosing block is skipped: no branch is taken
	taken    bool // a branch of this block has been taken
	active   bool // lines are parsed now
	elseSeen bool
}

// active reports whether lines are parsed at this point of the file.
func (p *parser) active() bool {
	return len(p.blocks) == 0 || p.blocks[len(p.blocks)-1].active
}

// directive handles a line starting with a directive (.if, .elif, .else,
// .endif, .alert, .warning, .notice, .diag) and reports whether it was
// one. Lines of skipped blocks are still cut into words (so their lexing
// errors are reported) but not parsed, as in HAProxy.
func (p *parser) directive(words []string) bool {
	kw := words[0]
	if !strings.HasPrefix(kw, ".") {
		return false
	}
	p.kw = kw
	top := len(p.blocks) - 1
	switch kw {
	case ".if":
		b := condBlock{line: p.line, skip: !p.active()}
		if !b.skip {
			b.active = p.evalDirective(words)
			b.taken = b.active
		}
		p.blocks = append(p.blocks, b)
	case ".elif", ".else", ".endif":
		if top < 0 {
			p.alert("lone '" + kw + "' with no matching '.if'.")
			return true
		}
		b := &p.blocks[top]
		switch {
		case kw == ".endif" || kw == ".else":
			if len(words) > 1 {
				p.alert("Unexpected argument '" + words[1] + "' for '" + kw + "'.")
				return true
			}
			if kw == ".endif" {
				p.blocks = p.blocks[:top]
				return true
			}
			if b.elseSeen {
				p.alert("'.else' after '.else' is not permitted.")
				return true
			}
			b.elseSeen = true
			b.active = !b.skip && !b.taken
			b.taken = true
		case b.elseSeen:
			p.alert("'.elif' after '.else' is not permitted.")
		case b.skip || b.taken:
			b.active = false
		default:
			b.active = p.evalDirective(words)
			b.taken = b.active
		}
	case ".alert", ".warning", ".notice", ".diag":
		if !p.active() {
			return true
		}
		if len(words) > 2 {
			p.alert("Unexpected argument '" + words[2] + "' for '" + kw + "'. Use quotes if the message should contain spaces.")
			return true
		}
		msg := "'" + at(words, 1) + "'."
		switch kw {
		case ".alert":
			p.alert(msg)
		case ".warning":
			p.warn(msg)
		}
	default:
		if p.active() {
			p.alert("unknown directive '" + kw + "'.")
		}
	}
	return true
}

// endBlocks reports blocks a file left open.
func (p *parser) endBlocks() {
	if len(p.blocks) > 0 {
		p.line = p.blocks[len(p.blocks)-1].line
		p.kw = ".if"
		p.alert("non-terminated '.if' block.")
	}
	p.blocks = p.blocks[:0]
}

// evalDirective evaluates the condition of .if or .elif; an invalid one is
// an alert and counts as false.
func (p *parser) evalDirective(words []string) bool {
	e := condExpr{s: strings.Join(words[1:], " ")}
	v := e.eval()
	if e.err != "" {
		p.alert(e.err + " in '" + words[0] + "' at position " + itoa(e.errPos+1))
		return false
	}
	return v
}

// condExpr evaluates a conditional-block expression: integers, predicates
// (defined, feature, streq, strneq, version_atleast, version_before), '!',
// parentheses, '&&' binding tighter than '||'. An empty expression is false.
type condExpr struct {
	s      string
	i      int
	err    string
	errPos int
}

func (e *condExpr) eval() bool {
	e.space()
	if e.i == len(e.s) {
		return false
	}
	v := e.or()
	if e.err == "" {
		if e.space(); e.i < len(e.s) {
			e.fail(e.i, "unexpected character '"+e.s[e.i:e.i+1]+"' at the end of conditional expression '"+e.s+"'")
		}
	}
	return v
}

func (e *condExpr) fail(pos int, msg string) {
	if e.err == "" {
		e.err, e.errPos = msg, pos
	}
}

func (e *condExpr) space() {
	for e.i < len(e.s) && e.s[e.i] == ' ' {
		e.i++
	}
}

// op consumes the operator tok and reports its position, or -1.
func (e *condExpr) op(tok string) int {
	e.space()
	if strings.HasPrefix(e.s[e.i:], tok) {
		pos := e.i
		e.i += len(tok)
		return pos
	}
	return -1
}

func (e *condExpr) or() bool {
	v := e.and()
	for e.err == "" {
		pos := e.op("||")
		if pos < 0 {
			break
		}
		w := e.termAfter(pos, e.and)
		v = v || w
	}
	return v
}

func (e *condExpr) and() bool {
	v := e.term()
	for e.err == "" {
		pos := e.op("&&")
		if pos < 0 {
			break
		}
		w := e.termAfter(pos, e.term)
		v = v && w
	}
	return v
}

// termAfter parses the operand of an operator at pos; a missing operand is
// reported at the operator, as HAProxy does.
func (e *condExpr) termAfter(pos int, f func() bool) bool {
	if e.space(); e.i == len(e.s) {
		e.fail(pos, "unparsable conditional expression '"+e.s[pos:]+"'")
		return false
	}
	return f()
}

func (e *condExpr) term() bool {
	e.space()
	start := e.i
	switch {
	case e.i == len(e.s):
		e.fail(start, "unparsable conditional expression '"+e.s[start:]+"'")
		return false
	case e.s[e.i] == '!':
		e.i++
		return !e.termAfter(start, e.term)
	case e.s[e.i] == '(':
		e.i++
		v := e.or()
		if e.op(")") < 0 {
			e.fail(start, "expected ')' after conditional expression '"+e.s[start:]+"'")
		}
		return v
	case e.s[e.i] >= '0' && e.s[e.i] <= '9':
		n := 0
		for e.i < len(e.s) && e.s[e.i] >= '0' && e.s[e.i] <= '9' {
			n = min(n*10+int(e.s[e.i]-'0'), 1<<30)
			e.i++
		}
		return n != 0
	}
	return e.predicate(start)
}

// predicates maps each predicate to its number of arguments.
var predicates = map[string]int{
	"defined": 1, "feature": 1, "streq": 2, "strneq": 2, "version_atleast": 1, "version_before": 1,
}

func (e *condExpr) predicate(start int) bool {
	open := strings.IndexByte(e.s[e.i:], '(')
	name := ""
	if open > 0 {
		name = e.s[e.i : e.i+open]
	}
	nargs, ok := predicates[name]
	if !ok {
		e.fail(start, "unparsable conditional expression '"+e.s[start:]+"'")
		return false
	}
	e.i += open + 1
	end := strings.IndexByte(e.s[e.i:], ')')
	if end < 0 {
		e.fail(e.i, "expected ')' in argument list of predicate '"+name+"' used in conditional expression")
		return false
	}
	argv := strings.Split(e.s[e.i:e.i+end], ",")
	argPos := e.i
	e.i += end + 1
	switch {
	case len(argv) < nargs:
		e.fail(argPos+end, "missing arguments (got "+itoa(len(argv))+"/"+itoa(nargs)+") of predicate '"+name+"' used in conditional expression")
		return false
	case len(argv) > nargs:
		e.fail(argPos, "expected ')' before ',"+strings.Join(argv[nargs:], ",")+")' in argument "+itoa(nargs)+" of predicate '"+name+"' used in conditional expression")
		return false
	}
	switch name {
	case "defined":
		_, ok := os.LookupEnv(argv[0])
		return ok
	case "feature":
		return false // tether reports no optional build features (no OPENSSL, LUA, ...)
	case "streq":
		return argv[0] == argv[1]
	case "strneq":
		return argv[0] != argv[1]
	case "version_atleast":
		return compareVersion(argv[0]) >= 0
	}
	return compareVersion(argv[0]) < 0 // version_before
}

// compareVersion compares compatVersion with a "major.minor.patch" version
// (missing or non-numeric parts count as zero): -1, 0 or 1.
func compareVersion(v string) int {
	parts := strings.FieldsFunc(v, func(r rune) bool { return r == '.' || r == '-' })
	for i, want := range compatVersion {
		n := 0
		if i < len(parts) {
			n = int(atoi(parts[i]))
		}
		switch {
		case want > n:
			return 1
		case want < n:
			return -1
		}
	}
	return 0
}
