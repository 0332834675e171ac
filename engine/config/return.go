package config

import (
	"os"
	"strings"
)

// Return is the reply of an `http-request return` or `http-response
// return` rule. It is immutable.
type Return struct {
	Status      int
	ContentType string
	Body        Format // string and file: one text part; lf-string: a log-format string
	Headers     []ReturnHeader
}

// ReturnHeader is a `hdr <name> <fmt>` of a return rule.
type ReturnHeader struct {
	Name  string
	Value Format
}

// parseReturn parses the arguments of a return action into ru up to the
// condition, and returns the words left or the alert message (one
// starting with '!' follows the rule's name instead of "error detected").
func (p *parser) parseReturn(ru *HTTPRule, a []string, resp bool) ([]string, string) {
	rt := &Return{Status: 200}
	ru.Action, ru.Return = RuleReturn, rt
	body := false
	for len(a) > 0 && a[0] != "if" && a[0] != "unless" {
		w := a[0]
		switch w {
		case "status":
			if len(a) < 2 {
				return nil, "'status' expects <status_code> as argument."
			}
			code := int(int32(atoi(a[1])))
			if code < 200 || code > 599 {
				return nil, "Unexpected status code '" + a[1] + "'."
			}
			rt.Status, a = code, a[2:]
		case "content-type":
			if len(a) < 2 {
				return nil, "'content-type' expects <ctype> as argument."
			}
			rt.ContentType, a = a[1], a[2:]
		case "string", "lf-string", "file":
			if len(a) < 2 {
				arg := "<str>"
				if w == "lf-string" {
					arg = "<fmt>"
				} else if w == "file" {
					arg = "<file>"
				}
				return nil, "'" + w + "' expects " + arg + " as argument."
			}
			switch w {
			case "string":
				rt.Body = Format{{Kind: FmtText, Text: a[1]}}
			case "file":
				data, err := os.ReadFile(a[1])
				if err != nil {
					return nil, "error opening file '" + a[1] + "'."
				}
				rt.Body = Format{{Kind: FmtText, Text: string(data)}}
			default:
				f, msg := parseFormat(a[1], resp)
				if msg != "" {
					return nil, msg
				}
				rt.Body = f
			}
			body, a = true, a[2:]
		case "hdr":
			if len(a) < 3 {
				return nil, "'hdr' expects <name> and <value> as arguments."
			}
			name := strings.ToLower(a[1])
			if name == "content-length" || name == "transfer-encoding" || name == "content-type" {
				p.warn("header '" + name + "' always ignored by the http reply.")
				a = a[3:]
				continue
			}
			f, msg := parseFormat(a[2], resp)
			if msg != "" {
				return nil, msg
			}
			rt.Headers, a = append(rt.Headers, ReturnHeader{Name: a[1], Value: f}), a[3:]
		case "lf-file", "errorfile", "errorfiles", "default-errorfiles":
			return nil, "'" + w + "' is not supported yet by tether"
		default:
			return nil, "! expects either 'if' or 'unless' followed by a condition but found '" + w + "'."
		}
	}
	if body && rt.ContentType == "" && len(rt.Body) > 0 && !(len(rt.Body) == 1 && rt.Body[0].Kind == FmtText && rt.Body[0].Text == "") {
		return nil, "a content type must be defined when non-empty payload is configured."
	}
	if body && (rt.Status == 204 || rt.Status == 304) && len(rt.Body) > 0 {
		return nil, "No body expected for " + itoa(rt.Status) + " responses."
	}
	return a, ""
}
