package config

// RetryOn is the set of events after which a backend tries a request
// again (`retry-on`), as HAProxy 2.6 names them. The zero value, `retry-on
// none`, retries nothing, not even a failed connection.
type RetryOn uint32

const (
	RetryConnFailure   RetryOn = 1 << iota // conn-failure: the connection to the server failed
	RetryEmptyResponse                     // empty-response: the server closed before a byte of the response
	RetryTimeout                           // response-timeout: the server timeout struck before a byte of the response
	Retry401                               // 401: the server answered 401
	Retry403                               // 403: the server answered 403
	Retry404                               // 404: the server answered 404
	Retry408                               // 408: the server answered 408
	Retry425                               // 425: the server answered 425
	Retry500                               // 500: the server answered 500
	Retry501                               // 501: the server answered 501
	Retry502                               // 502: the server answered 502
	Retry503                               // 503: the server answered 503
	Retry504                               // 504: the server answered 504
	Retry0RTTRejected                      // 0rtt-rejected: the server refused TLS early data (never, without TLS)
	RetryJunkResponse                      // junk-response: the response head was invalid or cut short
)

// RetryAllErrors is `all-retryable-errors`: every event but the statuses
// that a server may mean (401, 403, 404, 408, 425, 501).
const RetryAllErrors = RetryConnFailure | RetryEmptyResponse | RetryTimeout | Retry500 | Retry502 |
	Retry503 | Retry504 | Retry0RTTRejected | RetryJunkResponse

// retryOnWords maps each `retry-on` keyword to its events.
var retryOnWords = map[string]RetryOn{
	"conn-failure":         RetryConnFailure,
	"empty-response":       RetryEmptyResponse,
	"response-timeout":     RetryTimeout,
	"401":                  Retry401,
	"403":                  Retry403,
	"404":                  Retry404,
	"408":                  Retry408,
	"425":                  Retry425,
	"500":                  Retry500,
	"501":                  Retry501,
	"502":                  Retry502,
	"503":                  Retry503,
	"504":                  Retry504,
	"0rtt-rejected":        Retry0RTTRejected,
	"junk-response":        RetryJunkResponse,
	"all-retryable-errors": RetryAllErrors,
}

// Layer7 reports whether r asks for retries after a request was sent
// (anything but conn-failure): the request must then be kept until its
// response head is accepted.
func (r RetryOn) Layer7() bool { return r&^RetryConnFailure != 0 }

// RetryStatus returns the event of a response with this status: one
// of Retry401 to Retry504, or 0 for a status retry-on cannot name.
func RetryStatus(status int) RetryOn {
	var bit RetryOn
	switch status {
	case 401:
		bit = Retry401
	case 403:
		bit = Retry403
	case 404:
		bit = Retry404
	case 408:
		bit = Retry408
	case 425:
		bit = Retry425
	case 500:
		bit = Retry500
	case 501:
		bit = Retry501
	case 502:
		bit = Retry502
	case 503:
		bit = Retry503
	case 504:
		bit = Retry504
	}
	return bit
}

// parseRetryOn reads `retry-on <keyword>...`: the keywords replace what
// the section had (or inherited); `none` stands alone.
func (p *parser) parseRetryOn(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'retry-on' needs at least one keyword to specify when to retry")
		return
	}
	if px.Cap&(CapBackend|CapDefaults) == 0 {
		p.alert("'retry-on' only available in backend or listen section")
		return
	}
	var r RetryOn
	for i, w := range a {
		if w == "none" {
			if i != 0 || len(a) > 1 {
				p.alert("'retry-on' 'none' keyworld only usable alone") // sic, as HAProxy spells it
				return
			}
			continue
		}
		bits, ok := retryOnWords[w]
		if !ok {
			p.alert("'retry-on': unknown keyword '" + w + "'")
			return
		}
		r |= bits
	}
	px.RetryOn = r
}
