package config

import (
	"slices"
	"time"
)

// HAProxy's built-in defaults for a proxy that inherits from no defaults
// section.
const (
	defaultRetries    = 3
	defaultInter      = 2 * time.Second
	defaultRise       = 2
	defaultFall       = 3
	defaultWeight     = 1
	defaultErrorLimit = 10 // observed errors in a row that set off on-error
	defaultXFFHeader  = "X-Forwarded-For"
	defaultChkMethod  = "OPTIONS"
	defaultChkURI     = "/"
	defaultChkVer     = "HTTP/1.0"
	// DefaultPoolPurgeDelay is HAProxy's `pool-purge-delay` default.
	DefaultPoolPurgeDelay = 5 * time.Second
)

// presetProxy returns a proxy with HAProxy's documented defaults, as a
// defaults section without `from` starts.
func presetProxy() *Proxy {
	return &Proxy{
		Retries: defaultRetries,
		RetryOn: RetryConnFailure,
		Options: Options{RedispatchInterval: -1, ForwardFor: ForwardFor{Header: defaultXFFHeader}},
		DefaultServer: Server{
			Inter: defaultInter, Rise: defaultRise, Fall: defaultFall, Weight: defaultWeight,
			Prefer: NetTCP6, ErrorLimit: defaultErrorLimit,
			PoolMaxConn: -1, PoolPurgeDelay: DefaultPoolPurgeDelay, MaxReuse: -1,
		},
		Balance: Balance{Draws: 2},
	}
}

// inherit returns a new proxy with capabilities c that starts from def as
// HAProxy's proxy_defproxy_cpy() does: frontend settings are copied only
// into proxies with the frontend capability and backend settings (among
// them every cookie option) only into proxies with the backend capability.
// Lists that a section extends (cookie domains and attributes, logs, check
// rules) are copied so the defaults stay unchanged.
func inherit(def *Proxy, c Cap) *Proxy {
	if def == nil {
		def = presetProxy()
	}
	px := &Proxy{
		Cap:      c,
		Mode:     def.Mode,
		Timeouts: def.Timeouts,
		Options:  def.Options,
		Logs:     slices.Clone(def.Logs),
		LogTag:   def.LogTag,

		errorFiles:   def.errorFiles,
		errorSeqs:    def.errorSeqs,
		errorImports: slices.Clone(def.errorImports),

		Stats:        def.Stats,
		HTTPRequest:  slices.Clip(def.HTTPRequest),
		HTTPResponse: slices.Clip(def.HTTPResponse),
	}
	px.Stats.Auth = slices.Clone(def.Stats.Auth)
	if c&(CapFrontend|CapDefaults) != 0 {
		px.LogFormat = def.LogFormat
		px.UniqueIDFormat, px.UniqueIDHeader = def.UniqueIDFormat, def.UniqueIDHeader
		px.MaxConn = def.MaxConn
		px.MonitorURI = def.MonitorURI
		px.defaultBackend = def.defaultBackend
	}
	if c&(CapBackend|CapDefaults) != 0 {
		px.SendNameHeader = def.SendNameHeader
		px.Balance = def.Balance
		px.Cookie = def.Cookie
		px.Cookie.Domains = slices.Clone(def.Cookie.Domains)
		px.Cookie.Attrs = slices.Clone(def.Cookie.Attrs)
		px.DynamicCookieKey = def.DynamicCookieKey
		px.Retries = def.Retries
		px.RetryOn = def.RetryOn
		px.FullConn = def.FullConn
		px.MaxKAQueue = def.MaxKAQueue
		px.DefaultServer = def.DefaultServer
		px.HTTPReuse = def.HTTPReuse
		px.DefaultServer.InitAddr = slices.Clone(def.DefaultServer.InitAddr)
		px.Source = def.Source
		px.HTTPCheck = HTTPCheck{
			DisableOn404: def.HTTPCheck.DisableOn404,
			Rules:        slices.Clone(def.HTTPCheck.Rules),
			inherited:    len(def.HTTPCheck.Rules) > 0,
		}
	} else {
		px.Retries = defaultRetries
		px.RetryOn = RetryConnFailure
		px.DefaultServer = presetProxy().DefaultServer
	}
	return px
}
