package config

import "strings"

// balanceUsage is HAProxy's message for an unknown algorithm.
const balanceUsage = "balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options."

// parseBalance parses `balance <algorithm> [arguments]`. Without an
// algorithm the line changes nothing, as in HAProxy.
func (p *parser) parseBalance(px *Proxy, a []string) {
	if len(a) == 0 {
		return
	}
	b := Balance{Draws: 2, Hash: px.Balance.Hash, Factor: px.Balance.Factor} // `hash-type` and `hash-balance-factor` are lines of their own
	algo, rest := a[0], a[1:]                                                // HAProxy ignores extra words after simple algorithms
	switch {
	case algo == "roundrobin":
		b.Algo = RoundRobin
	case algo == "static-rr":
		b.Algo = StaticRR
	case algo == "leastconn":
		b.Algo = LeastConn
	case algo == "first":
		b.Algo = First
	case algo == "source":
		b.Algo = Source
	case algo == "random" || strings.HasPrefix(algo, "random("):
		b.Algo = Random
		if arg, ok := parenArg(algo, "random"); ok {
			if bad := trimDigits(arg); bad != "" {
				p.alert("balance random : unexpected character '" + bad[:1] + "' after argument.")
				return
			}
			n := atoi(arg)
			if n <= 0 {
				p.alert("balance random : number of draws must be at least 1.")
				return
			}
			b.Draws = int(n)
		}
	case algo == "uri":
		b.Algo = URI
		for i := 0; i < len(rest); i++ {
			switch rest[i] {
			case "whole":
				b.Whole = true
			case "len", "depth":
				if i+1 >= len(rest) || atoi(rest[i+1]) <= 0 {
					p.alert("balance uri : '" + rest[i] + "' expects a positive integer (got '" + at(rest, i+1) + "').")
					return
				}
				if rest[i] == "len" {
					b.Len = int(atoi(rest[i+1]))
				} else {
					b.Depth = int(atoi(rest[i+1]))
				}
				i++
			case "path-only":
				b.PathOnly = true
			default:
				p.alert("balance uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '" + rest[i] + "').")
				return
			}
		}
	case algo == "url_param":
		b.Algo = URLParam
		if len(rest) == 0 {
			p.alert("balance url_param requires an URL parameter name.")
			return
		}
		b.Param = rest[0]
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case "check_post":
				p.notSupported("'balance url_param ... check_post'")
				return
			default:
				p.alert("balance url_param only accepts 'check_post' modifier (got '" + rest[i] + "').")
				return
			}
		}
	case strings.HasPrefix(algo, "hdr(") && strings.HasSuffix(algo, ")"):
		b.Algo = Hdr
		b.Param = algo[4 : len(algo)-1]
		if b.Param == "" {
			p.alert("balance hdr requires an http header field name.")
			return
		}
		if len(rest) > 0 {
			if rest[0] != "use_domain_only" {
				p.alert("balance " + algo + " only accepts 'use_domain_only' modifier (got '" + rest[0] + "').")
				return
			}
			b.UseDomainOnly = true
		}
	case strings.HasPrefix(algo, "rdp-cookie") || strings.HasPrefix(algo, "hash"):
		p.notSupported("'balance " + algo + "'")
		return
	default:
		p.alert(balanceUsage)
		return
	}
	px.Balance = b
}

// parenArg returns the argument of "name(arg)".
func parenArg(word, name string) (string, bool) {
	if len(word) > len(name)+1 && word[len(name)] == '(' && word[len(word)-1] == ')' {
		return word[len(name)+1 : len(word)-1], true
	}
	return "", false
}

// at returns a[i], or "" past the end.
func at(a []string, i int) string {
	if i < len(a) {
		return a[i]
	}
	return ""
}

// trimDigits removes leading decimal digits.
func trimDigits(s string) string {
	for s != "" && s[0] >= '0' && s[0] <= '9' {
		s = s[1:]
	}
	return s
}

// parseHashBalanceFactor reads `hash-balance-factor <n>`: 0, or above 100.
// As HAProxy keeps it unsigned, a negative value is a bound too large to
// matter, kept as none.
func (p *parser) parseHashBalanceFactor(px *Proxy, a []string) {
	if len(a) == 0 || a[0] == "" {
		p.alert("'hash-balance-factor' expects an integer argument.")
		return
	}
	n := atoi(a[0])
	if n > 0 && n <= 100 {
		p.alert("'hash-balance-factor' must be 0 or greater than 100.")
		return
	}
	px.Balance.Factor = int(max(0, min(n, 1<<31-1)))
}
