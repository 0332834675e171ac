package config

import "regexp"

// The rewriting actions of http-request and http-response rules: field
// values and the request target replaced by regular expression, the
// target's parts set from a format, and the response status. A
// replacement is a log-format string whose \N (N a digit) stand for the
// groups of the match, \xHH for a byte and \c for c, as in HAProxy; the
// expression is Go's RE2 (see Expr), matched case-sensitively.

// rewriteActions maps the rewriting actions to their RuleAction.
var rewriteActions = map[string]RuleAction{
	"replace-header": RuleReplaceHeader, "replace-value": RuleReplaceValue,
	"replace-path": RuleReplacePath, "replace-pathq": RuleReplacePathQ, "replace-uri": RuleReplaceURI,
	"set-path": RuleSetPath, "set-pathq": RuleSetPathQ, "set-query": RuleSetQuery, "set-uri": RuleSetURI,
	"set-status": RuleSetStatus,
}

// parseRewrite parses the arguments of a rewriting action act into ru up
// to the condition, and returns the words left or the alert message.
func (p *parser) parseRewrite(ru *HTTPRule, act string, a []string, resp bool) ([]string, string) {
	ru.Action = rewriteActions[act]
	n := 0
	for n < len(a) && a[n] != "if" && a[n] != "unless" {
		n++
	}
	format := func(s string) string {
		f, msg := parseFormat(s, resp)
		ru.Value = f
		return msg
	}
	regex := func(s string) string {
		re, err := regexp.Compile(s)
		if err != nil {
			return "regex '" + s + "' is invalid: " + err.Error()
		}
		ru.Regexp = re
		return ""
	}
	switch ru.Action {
	case RuleReplaceHeader, RuleReplaceValue:
		if n != 3 {
			return nil, "expects exactly 3 arguments."
		}
		ru.Name = a[0]
		if msg := regex(a[1]); msg != "" {
			return nil, msg
		}
		return a[3:], format(a[2])
	case RuleReplacePath, RuleReplacePathQ, RuleReplaceURI:
		if n != 2 {
			return nil, "expects exactly 2 arguments <match-regex> and <replace-format>."
		}
		if msg := regex(a[0]); msg != "" {
			return nil, msg
		}
		return a[2:], format(a[1])
	case RuleSetStatus:
		if n == 0 {
			return nil, "expects 1 argument: <status>; or 3 arguments: <status> reason <fmt>."
		}
		code := int(atoi(a[0]))
		if code < 100 || code > 999 {
			return nil, "expects an integer status code between 100 and 999."
		}
		ru.Status = code
		if n >= 3 && a[1] == "reason" {
			ru.Value = Format{{Kind: FmtText, Text: a[2]}}
			return a[3:], ""
		}
		return a[1:], ""
	}
	if n != 1 {
		return nil, "expects exactly 1 argument <format>."
	}
	return a[1:], format(a[0])
}
