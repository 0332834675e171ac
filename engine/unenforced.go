package engine

import "tether/engine/config"

// Unenforced returns a warning for each backend of cfg that asks for
// something the configuration accepts, as HAProxy does, but the engine does
// not do yet, so that a configuration written for HAProxy never loses a
// behaviour without a word: HTTP checks of several `http-check send`
// steps, and nameservers over TCP. Each warning points at the section.
func Unenforced(cfg *config.Config) []config.Diag {
	var out []config.Diag
	for _, px := range cfg.Proxies {
		if px.Cap&config.CapBackend == 0 || !px.Options.HTTPChk.Enabled {
			continue
		}
		section := "backend '" + px.Name + "'"
		if px.Cap&config.CapFrontend != 0 {
			section = "proxy '" + px.Name + "'"
		}
		sends := 0
		for _, r := range px.HTTPCheck.Rules {
			if r.Kind == config.CheckSend {
				sends++
			}
		}
		if sends > 1 {
			out = append(out, config.Diag{Severity: config.Warning, File: px.File, Line: px.Line,
				Section: section, Keyword: "http-check",
				Message: "tether runs HTTP checks of one request: only the first 'http-check send' is sent, and every 'http-check expect' applies to its response."})
		}
	}
	for _, r := range cfg.Resolvers {
		for _, ns := range r.Nameservers {
			if ns.TCP {
				out = append(out, config.Diag{Severity: config.Warning, File: r.File, Line: r.Line,
					Section: "resolvers '" + r.Name + "'", Keyword: "nameserver",
					Message: "tether does not query nameservers over TCP yet: nameserver '" + ns.Name + "' is not used."})
			}
		}
	}
	return out
}
