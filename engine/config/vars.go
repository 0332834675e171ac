package config

import "strings"

// Variables are named values a rule sets from a sample expression
// (set-var) or a log-format string (set-var-fmt) and other rules, formats
// and conditions read back (var()). A name starts with its scope, which
// says how long the value lives.

// VarScope is the lifetime of a variable.
type VarScope uint8

const (
	// ScopeProc: shared by the whole process.
	ScopeProc VarScope = iota
	// ScopeSess: shared by the whole session (the client connection).
	ScopeSess
	// ScopeTxn: one transaction, its request and its response.
	ScopeTxn
	// ScopeReq: the processing of one request.
	ScopeReq
	// ScopeRes: the processing of one response.
	ScopeRes
)

// varScopes are the scope prefixes of variable names.
var varScopes = [...]string{ScopeProc: "proc", ScopeSess: "sess", ScopeTxn: "txn", ScopeReq: "req", ScopeRes: "res"}

// VarRef names one variable: its scope and its name after the scope's '.'.
type VarRef struct {
	Scope VarScope
	Name  string
}

// String returns the variable's name as written: "txn.name".
func (v VarRef) String() string { return varScopes[v.Scope] + "." + v.Name }

// parseVarName parses "scope.name" and returns HAProxy's message on
// failure; rest is what follows s where it was written, which a message
// about a bad byte quotes.
func parseVarName(s, rest string) (VarRef, string) {
	scope, name, ok := strings.Cut(s, ".")
	for i, sc := range varScopes {
		if ok && scope == sc {
			for j := 0; j < len(name); j++ {
				if !varNameChar[name[j]] {
					return VarRef{}, "invalid syntax at char '" + name[j:] + rest + "'."
				}
			}
			return VarRef{Scope: VarScope(i), Name: name}, ""
		}
	}
	return VarRef{}, "invalid variable name '" + s + "'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'."
}

// varNameChar holds the bytes a variable's name may hold after its scope.
var varNameChar = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.'
	}
	return t
}()

// parseVarRule parses the arguments of set-var(name) <expr>, set-var-fmt(name)
// <fmt> and unset-var(name) into ru up to the condition, and returns the
// words left or the alert message (a leading '!' marks a message of its
// own, after the rule's name).
func parseVarRule(ru *HTTPRule, act string, a []string, resp bool) ([]string, string) {
	kw, arg, _ := strings.Cut(act, "(")
	arg, ok := strings.CutSuffix(arg, ")")
	if !ok {
		return nil, "invalid variable name '" + arg + "'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'."
	}
	name, conds, hasConds := strings.Cut(arg, ",")
	v, msg := parseVarName(name, act[len(kw)+1+len(name):])
	if msg != "" {
		return nil, msg
	}
	if hasConds {
		for _, c := range strings.Split(conds, ",") {
			if !setVarConds[c] {
				return nil, "unknown condition \"" + c + "\"."
			}
		}
		return nil, "!" + " conditions are not supported yet by tether"
	}
	ru.Var = v
	n := 0
	for n < len(a) && a[n] != "if" && a[n] != "unless" {
		n++
	}
	switch kw {
	case "unset-var":
		ru.Action = RuleUnsetVar
		return a, ""
	case "set-var-fmt":
		ru.Action = RuleSetVarFmt
		if n == 0 {
			return a, "" // HAProxy accepts an empty format: an empty string
		}
		f, msg := parseFormat(a[0], resp)
		if msg != "" {
			return nil, msg
		}
		ru.Value = f
		return a[1:], ""
	}
	ru.Action = RuleSetVar
	if n == 0 {
		return nil, "missing fetch method."
	}
	part, msg := sampleExpr(a[0], resp, false)
	if msg != "" {
		return nil, msg
	}
	ru.Value = Format{part}
	return a[1:], ""
}

// setVarConds are the conditions of set-var(name,cond...) HAProxy 2.6
// knows; tether refuses them all as not supported yet.
var setVarConds = map[string]bool{
	"ifexists": true, "ifnotexists": true, "ifempty": true, "ifnotempty": true,
	"ifset": true, "ifnotset": true, "ifgt": true, "iflt": true,
}

// isVarAction reports whether act is set-var(...), set-var-fmt(...) or
// unset-var(...).
func isVarAction(act string) bool {
	return strings.HasPrefix(act, "set-var(") || strings.HasPrefix(act, "set-var-fmt(") || strings.HasPrefix(act, "unset-var(")
}

// VarReader is the part of a Request that reads variables, for var() in
// conditions: Var returns the value of v, a view valid during Cond.Eval,
// and false when v is not set. A Request without it has no variables.
type VarReader interface {
	Var(v VarRef) ([]byte, bool)
}
