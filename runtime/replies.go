package runtime

// Reply texts of HAProxy 2.6, byte for byte: scripts and tetherctl match
// them. A trailing LF is part of the text where HAProxy prints one; the
// empty line that ends a reply is added by the session.
const (
	msgPermissionDenied = "Permission denied\n"

	msgRequireBackendServer = "Require 'backend/server'.\n"
	msgNoSuchBackend        = "No such backend.\n"
	msgNoSuchServer         = "No such server.\n"
	msgProxyDisabled        = "Proxy is disabled.\n"

	msgBackendExpected   = "A backend name is expected.\n"
	msgFrontendExpected  = "A frontend name is expected.\n"
	msgNoSuchFrontend    = "No such frontend.\n"
	msgIntegerExpected   = "Integer value expected.\n"
	msgExpectsInteger    = "Expects an integer value.\n"
	msgRequireMaxconn    = "Require <maxconn>.\n"
	msgMaxconnGarbage    = "maxconn string empty or preceded by garbage" // no LF
	msgMaxconnTrailing   = "Trailing garbage in maxconn string"          // no LF
	msgInvalidTimeout    = "Invalid timeout value.\n"
	msgTimeoutOnlyCLI    = "'set timeout' only supports 'cli'.\n"
	msgVarNotFound       = "Variable not found\n"
	msgKeyExpected       = "String value expected.\n"
	msgCantFindBackend   = "Can't find backend.\n"
	msgStateExpects      = "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n"
	msgHealthExpects     = "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n"
	msgAgentExpects      = "'set server <srv> agent' expects 'up' or 'down'.\n"
	msgAgentDisabled     = "agent checks are not enabled on this server.\n"
	msgAgentNotConfig    = "Agent was not configured on this server, cannot enable.\n"
	msgAgentAddrRequires = "set server <b>/<s> agent-addr requires an address and optionally a port.\n"
	msgAgentPortRequires = "set server <b>/<s> agent-port requires a port.\n"
	msgHealthTracking    = "cannot change health on a tracking server.\n"
	msgHealthNotConfig   = "Health check was not configured on this server, cannot enable.\n"
	msgAddrRequires      = "set server <b>/<s> addr requires an address and optionally a port.\n"
	msgCheckAddrRequires = "set server <b>/<s> check-addr requires an address and optionally a port.\n"
	msgCheckPortRequires = "set server <b>/<s> check-port requires a port.\n"
	msgWeightRequire     = "Require <weight> or <weight%>.\n"
	msgWeightAbsolute    = "Absolute weight can only be between 0 and 256 inclusive.\n"
	msgWeightRelative    = "Relative weight must be positive.\n"
	msgWeightStatic      = "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n"
	msgWeightEmpty       = "Empty weight string empty or preceded by garbage" // sic, and no LF
	msgWeightTrailing    = "Trailing garbage in weight string"                // no LF
	msgDynamicLBOnly     = "Backend must use a dynamic load balancing to support dynamic servers."
	msgServerRegistered  = "New server registered.\n"
	msgServerDeleted     = "Server deleted."

	// msgSetServerUsage lists the `set server` sub-commands tether has
	// (HAProxy's list is longer; the format is the same).
	msgSetServerUsage = "usage: set server <backend>/<server> addr | check-addr | check-port | health | state | weight\n"

	// byCLI ends every `set server ... addr` reply.
	byCLI = " by 'stats socket command'\n"
)
