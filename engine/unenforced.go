package engine

import "tether/engine/config"

// Unenforced returns a warning for each backend of cfg that asks for
// something the configuration accepts, as HAProxy does, but the engine does
// not do yet, so that a configuration written for HAProxy never loses a
// behaviour without a word: health checks, and nameservers over TCP. Each
// warning points at the first server line concerned, or at the resolvers
// section.
func Unenforced(cfg *config.Config) []config.Diag {
	var out []config.Diag
	for _, px := range cfg.Proxies {
		if px.Cap&config.CapBackend == 0 {
			continue
		}
		section := "backend '" + px.Name + "'"
		if px.Cap&config.CapFrontend != 0 {
			section = "proxy '" + px.Name + "'"
		}
		var check *config.Server
		for _, s := range px.Servers {
			if s.Check && check == nil {
				check = s
			}
		}
		if check != nil {
			out = append(out, config.Diag{Severity: config.Warning, File: check.File, Line: check.Line,
				Section: section, Keyword: "check",
				Message: "tether does not run health checks yet: servers with 'check' stay UP (the runtime API can still set them to drain or maint)."})
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
