package config

import (
	"strings"
	"time"
)

// Stats is what the `stats` lines of a proxy configure: the statistics
// page it serves to requests whose target starts with URI, as HAProxy
// serves it, the CSV of `show stat` (the target has ";csv") or an HTML
// table of it.
type Stats struct {
	Enabled bool
	URI     string        // the prefix of the page's targets; "/haproxy?stats" by default
	Realm   string        // the realm of the authentication challenge; "HAProxy Statistics" by default
	Auth    []string      // "user:password" accounts; none: no authentication
	Refresh time.Duration // the page's Refresh field; 0 for none
}

// statsWords is the list HAProxy's messages give of the stats parameters.
const statsWords = "'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'"

// parseStats parses `stats <param> [args]` in a proxy. Every parameter but
// the cosmetic ones of the HTML page enables the page.
func (p *parser) parseStats(px *Proxy, a []string) {
	st := &px.Stats
	if len(a) == 0 {
		p.alert("missing keyword in 'stats', expects " + statsWords + ".")
		return
	}
	arg := ""
	if len(a) > 1 {
		arg = a[1]
	}
	switch a[0] {
	case "enable":
	case "uri":
		if arg == "" {
			p.alert("'uri' needs an URI prefix.")
			return
		}
		st.URI = arg
	case "realm":
		if arg == "" {
			p.alert("'realm' needs an realm name.")
			return
		}
		st.Realm = strings.Join(a[1:], " ")
	case "auth":
		if arg == "" {
			p.alert("'auth' needs a user:password account.")
			return
		}
		st.Auth = append(st.Auth, arg)
	case "refresh":
		if arg != "" {
			d, _, terr := parseTime(arg, time.Second)
			if terr != nil {
				p.alert("unexpected character '" + string(terr.bad) + "' in argument to stats refresh interval.")
				return
			}
			st.Refresh = time.Duration(d) * time.Second
		}
	case "hide-version", "show-node", "show-desc", "show-legends":
		// only the HTML page's dress
	case "admin", "scope", "http-request":
		p.notSupported("'stats " + a[0] + "'")
		return
	default:
		p.alert("unknown stats parameter '" + a[0] + "', expects " + statsWords + ".")
		return
	}
	st.Enabled = true
	if st.URI == "" {
		st.URI = "/haproxy?stats"
	}
	if st.Realm == "" {
		st.Realm = "HAProxy Statistics"
	}
}
