package engine

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"tether/engine/config"
	"tether/h1"
)

// CheckStatus is the outcome of a server's last health check, numbered as
// HAProxy numbers them (HCHK_STATUS_*): `show servers state` prints the
// number, `show stat` the name.
type CheckStatus uint8

const (
	CheckUnknown CheckStatus = 0  // UNK: no check ran
	CheckInit    CheckStatus = 1  // INI: checks configured, none finished yet
	CheckChecked CheckStatus = 3  // CHECKED: an agent answered without a state
	CheckHANA    CheckStatus = 4  // HANA: the server's observed traffic failed error-limit times in a row
	CheckSockErr CheckStatus = 5  // SOCKERR: no socket could be made
	CheckL4OK    CheckStatus = 6  // L4OK: connected (TCP check)
	CheckL4Tout  CheckStatus = 7  // L4TOUT: the connection timed out
	CheckL4Con   CheckStatus = 8  // L4CON: the connection failed
	CheckL7Tout  CheckStatus = 12 // L7TOUT: no complete response in time
	CheckL7Rsp   CheckStatus = 13 // L7RSP: an invalid or empty response
	CheckL7OK    CheckStatus = 15 // L7OK: the response passed (HTTP check)
	CheckL7OKC   CheckStatus = 16 // L7OKC: passed conditionally (404 with disable-on-404)
	CheckL7Sts   CheckStatus = 17 // L7STS: the response failed an expect rule

	// checkL57Data separates the statuses that carry an HTTP code.
	checkL57Data CheckStatus = 14
)

// CheckResult is what a check status means for the server, as HAProxy
// numbers it (CHK_RES_*) in `show servers state`.
type CheckResult uint8

const (
	CheckResultUnknown  CheckResult = 0
	CheckResultNeutral  CheckResult = 1
	CheckResultFailed   CheckResult = 2
	CheckResultPassed   CheckResult = 3
	CheckResultCondPass CheckResult = 4
)

// statusInfo names a check status and gives its result.
type statusInfo struct {
	name, desc string
	result     CheckResult
}

var checkStatuses = map[CheckStatus]statusInfo{
	CheckUnknown: {"UNK", "Unknown", CheckResultUnknown},
	CheckInit:    {"INI", "Initializing", CheckResultUnknown},
	CheckChecked: {"CHECKED", "No status change", CheckResultNeutral},
	CheckHANA:    {"HANA", "Health analyze", CheckResultFailed},
	CheckSockErr: {"SOCKERR", "Socket error", CheckResultFailed},
	CheckL4OK:    {"L4OK", "Layer4 check passed", CheckResultPassed},
	CheckL4Tout:  {"L4TOUT", "Layer4 timeout", CheckResultFailed},
	CheckL4Con:   {"L4CON", "Layer4 connection problem", CheckResultFailed},
	CheckL7Tout:  {"L7TOUT", "Layer7 timeout", CheckResultFailed},
	CheckL7Rsp:   {"L7RSP", "Layer7 invalid response", CheckResultFailed},
	CheckL7OK:    {"L7OK", "Layer7 check passed", CheckResultPassed},
	CheckL7OKC:   {"L7OKC", "Layer7 check conditionally passed", CheckResultCondPass},
	CheckL7Sts:   {"L7STS", "Layer7 wrong status", CheckResultFailed},
}

// Name is the status as `show stat` prints it: "L4OK", "L7STS", ...
func (s CheckStatus) Name() string { return checkStatuses[s].name }

// Description is the status in words, as the state change messages and
// `show stat`'s check_desc print it.
func (s CheckStatus) Description() string { return checkStatuses[s].desc }

// Result is what the status means for the server.
func (s CheckStatus) Result() CheckResult { return checkStatuses[s].result }

// HasCode reports whether the status carries an HTTP status code.
func (s CheckStatus) HasCode() bool { return s > checkL57Data }

// CheckReport is the last finished health check of a server and its
// counts, as `show stat` and the state change messages report them. It is
// a value: the checker replaces it after each check.
type CheckReport struct {
	Status   CheckStatus
	Result   CheckResult   // Status's result; unknown while a check runs, as HAProxy resets it
	Code     int           // HTTP status of a layer 7 check, 0 without
	Desc     string        // details: "Connection refused", a reason phrase
	Duration time.Duration // how long the check took; -1 before the first and for HANA
	At       time.Time     // when it finished; zero before the first
	Failed   int64         // checks that failed (chkfail)
	Downs    int64         // times the server went from up to down (chkdown)
	Hana     int64         // runs of observed errors that reached error-limit (hanafail)
}

// checkSpec is how a backend checks its servers, built once from its
// configuration: a TCP connection, or an HTTP request and the rules its
// response must pass.
type checkSpec struct {
	http         bool
	tcp          *tcpCheck // a tcp-check rule set; nil for a plain connect or an HTTP check
	request      []byte    // the HTTP check request, whole
	method       h1.Method // its method, which frames the response
	expects      []config.CheckRule
	disableOn404 bool
	inter        time.Duration // the server's own are in its line
	connect      time.Duration // `timeout connect`, 0 when unset
	check        time.Duration // `timeout check`, 0 when unset
}

// newCheckSpec derives a backend's check from its configuration.
func newCheckSpec(p *config.Proxy) *checkSpec {
	cs := &checkSpec{connect: p.Timeouts.Connect, check: p.Timeouts.Check}
	if p.Options.TCPChk.Kind != config.TCPChkNone {
		cs.tcp = newTCPCheck(p.Options.TCPChk)
		return cs
	}
	if !p.Options.HTTPChk.Enabled {
		return cs
	}
	cs.http = true
	cs.disableOn404 = p.HTTPCheck.DisableOn404
	var send *config.CheckRule
	for i := range p.HTTPCheck.Rules {
		r := &p.HTTPCheck.Rules[i]
		switch {
		case r.Kind == config.CheckSend && send == nil:
			send = r
		case r.Kind == config.CheckExpect:
			cs.expects = append(cs.expects, *r)
		}
	}
	cs.request = checkRequest(p.Options.HTTPChk, send)
	cs.method = h1.MethodGET
	if bytes.HasPrefix(cs.request, []byte("HEAD ")) {
		cs.method = h1.MethodHEAD
	}
	return cs
}

// checkRequest renders the request of an HTTP check as HAProxy 2.6 sends
// it: `option httpchk`'s method, URI and version, overridden by the first
// `http-check send`; header names in lower case; headers hidden after the
// version (the legacy `HTTP/1.1\r\nHost:\ www` form) kept; a Connection
// header given is dropped, and an HTTP/1.1 request without one closes;
// a body gets its content-length.
func checkRequest(o config.HTTPChk, send *config.CheckRule) []byte {
	meth, uri, ver := o.Method, o.URI, o.Version
	var hdrs []config.Header
	if v, extra, ok := strings.Cut(ver, "\r\n"); ok {
		ver = v
		for _, line := range strings.Split(extra, "\r\n") {
			if name, value, ok := strings.Cut(line, ":"); ok {
				hdrs = append(hdrs, config.Header{Name: name, Value: strings.TrimLeft(value, " \t")})
			}
		}
	}
	var body string
	if send != nil {
		if send.Method != "" {
			meth = send.Method
		}
		if send.URI != "" {
			uri = send.URI
		}
		if send.Version != "" {
			ver = send.Version
		}
		hdrs = append(hdrs, send.Headers...)
		body = send.Body
	}
	var b bytes.Buffer
	b.WriteString(meth + " " + uri + " " + ver + "\r\n")
	conn := false
	for _, h := range hdrs {
		name := strings.ToLower(h.Name)
		if name == "connection" {
			conn = true
			continue
		}
		if name == "content-length" {
			continue
		}
		b.WriteString(name + ": " + h.Value + "\r\n")
	}
	if body != "" {
		b.WriteString("content-length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	if ver == "HTTP/1.1" && !conn {
		b.WriteString("connection: close\r\n")
	}
	b.WriteString("\r\n" + body)
	return b.Bytes()
}
