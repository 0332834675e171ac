package runtime

import (
	"math"
	"strconv"
	"strings"
)

// StatKind is the type column of a `show stat` row.
type StatKind uint8

const (
	StatFrontend StatKind = 0 // a proxy's FRONTEND row
	StatBackend  StatKind = 1 // a proxy's BACKEND row
	StatServer   StatKind = 2 // one server of a backend
)

// StatRow is one line of `show stat`, copied by the engine. Counters the
// engine does not keep stay zero and print as 0 where HAProxy prints a value
// for that kind of row; columns HAProxy leaves empty for a kind of row stay
// empty whatever the struct holds.
type StatRow struct {
	Kind     StatKind
	Proxy    string // pxname
	ProxyID  int    // iid
	Server   string // svname of a server row (FRONTEND and BACKEND rows name themselves)
	ServerID int    // sid of a server row

	Status                                 string // OPEN, UP, DOWN, MAINT, DRAIN, "no check", "UP 1/3", ...
	Mode                                   string // http or tcp
	Algo                                   string // balancing algorithm name (BACKEND rows)
	Addr                                   string // "ip:port", "[v6]:port", "unix" or "" (server rows)
	Cookie                                 string // server: its cookie value; BACKEND: the cookie name
	Pid                                    int    // process number (1)
	Weight                                 int    // effective weight (servers: current; BACKEND: sum)
	Throttle                               int    // a starting server's share of weight and maxconn, percent; 0 leaves the column empty
	UWeight                                int    // user weight (BACKEND: sum)
	Act, Bck                               int    // active and backup servers counted
	Slim                                   int    // session limit; 0 leaves a server's column empty
	LastChg                                int64  // seconds since the last state change
	Downtime                               int64  // seconds spent down
	LastSess                               int64  // seconds since the last session, -1 for never
	ChkFail                                int64  // failed checks
	ChkDown                                int64  // UP to DOWN transitions
	Qcur                                   int64  // queued requests
	Qmax                                   int64  // highest Qcur
	Scur                                   int64  // current sessions
	Smax                                   int64  // highest Scur
	Stot                                   int64  // cumulated sessions
	Bin, Bout                              int64  // bytes in and out
	Dreq                                   int64  // denied requests
	Dresp                                  int64  // denied responses
	Ereq                                   int64  // request errors
	Econ                                   int64  // connection errors
	Eresp                                  int64  // response errors
	Wretr                                  int64  // retries
	Wredis                                 int64  // redispatches
	LbTot                                  int64  // times the server was selected
	Rate                                   int64  // sessions in the last second
	RateLim                                int64  // session rate limit (FRONTEND)
	RateMax                                int64  // highest Rate
	Hrsp                                   [6]int64
	ReqRate                                int64 // requests in the last second (FRONTEND)
	ReqRateMax                             int64
	ReqTot                                 int64 // requests received
	CliAbrt                                int64 // aborts by the client
	SrvAbrt                                int64 // aborts by the server
	Qtime, Ctime, Rtime, Ttime             int64 // average times, ms
	QtimeMax, CtimeMax, RtimeMax, TtimeMax int64 // highest times, ms
	ConnRate, ConnRateMax, ConnTot         int64 // FRONTEND connections
	Intercepted                            int64
	Dcon, Dses                             int64
	Wrew                                   int64 // failed header rewrites
	Connect, Reuse                         int64 // new and reused server connections
	Eint                                   int64 // internal errors
	SrvIcur                                int64 // idle server connections
	IdleConnCur, SafeConnCur, UsedConnCur  int64
	NeedConnEst                            int64

	Tracked string // the server a tracking server follows, "backend/server"

	Observed bool  // the server's traffic counts towards its health (observe)
	HanaFail int64 // runs of observed errors that reached error-limit (hanafail, shown when Observed)

	// Health check columns, filled on server rows when Check is set; the
	// last check's columns are left empty while CheckPaused (maintenance).
	Check         bool
	CheckPaused   bool
	CheckStatus   string // e.g. L4OK, L4CON, L7OK
	CheckCode     string // L7 status code, "" when none
	CheckDuration int64  // ms; -1 for none
	// CheckUntimed is set when the last check ended without a duration
	// (HANA): HAProxy then prints its -1 as an unsigned 64-bit number.
	CheckUntimed bool
	LastChk      string // last check's detail
	CheckDesc    string // description of CheckStatus
	CheckRise    int
	CheckFall    int
	CheckHealth  int

	Agent AgentRow // agent check columns, filled on server rows with an agent

	H1 H1Stats // h1 module columns (FRONTEND and BACKEND rows)

	// Filters of `show stat ... no-maint` and `up` (server rows).
	Maint bool // in maintenance, whatever the cause: no-maint and up hide it
	Down  bool // down with no check about to bring it up: up hides it
}

// AgentRow are the agent check columns of a server row; On is false
// without an agent check, and the columns then stay empty.
type AgentRow struct {
	On       bool
	Status   string // e.g. L7OK, L4CON, "* L7OK" while a check runs
	Code     string // "" when the status has none
	Duration int64  // ms; -1 before the first, printed as HAProxy's unsigned -1
	Desc     string // description of Status
	Last     string // the last check's detail (last_agt)
	Health   int
}

// agentCol prints get's value only on rows whose server has an agent.
func agentCol(get func(a *AgentRow, b []byte) []byte) func(*StatRow, []byte) []byte {
	return func(r *StatRow, b []byte) []byte {
		if !r.Agent.On {
			return b
		}
		return get(&r.Agent, b)
	}
}

// H1Stats are the HTTP/1 module columns of `show stat`.
type H1Stats struct {
	OpenConnections, OpenStreams   int64
	TotalConnections, TotalStreams int64
	BytesIn, BytesOut              int64
}

// statHeader is the first line of `show stat` in HAProxy 2.6.12, module
// columns included.
const statHeader = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,\n"

// Row kinds a column is printed for.
const (
	onFE  = 1 << StatFrontend
	onBE  = 1 << StatBackend
	onSV  = 1 << StatServer
	onAll = onFE | onBE | onSV
)

// statCol is one column of `show stat`: the kinds of row that print it and
// how. A column with a nil value is always empty (a feature tether lacks
// whose column HAProxy leaves empty too).
type statCol struct {
	kinds uint8
	value func(r *StatRow, b []byte) []byte
}

func num(get func(r *StatRow) int64) func(*StatRow, []byte) []byte {
	return func(r *StatRow, b []byte) []byte { return strconv.AppendInt(b, get(r), 10) }
}

// str prints a string field, quoted as HAProxy quotes CSV fields when
// it holds a comma, a double quote or a line break (doubling the quotes).
func str(get func(r *StatRow) string) func(*StatRow, []byte) []byte {
	return func(r *StatRow, b []byte) []byte { return appendCSV(b, get(r)) }
}

func appendCSV(b []byte, s string) []byte {
	if !strings.ContainsAny(s, "\n\r,\"") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

// zero prints 0: a counter of a feature tether does not have (compression,
// cache, TLS, HTTP/2), which is therefore truly zero.
func zero(_ *StatRow, b []byte) []byte { return append(b, '0') }

// checked prints get's value only on rows whose server has a health check.
func checked(get func(r *StatRow, b []byte) []byte) func(*StatRow, []byte) []byte {
	return func(r *StatRow, b []byte) []byte {
		if r.Kind == StatServer && !r.Check {
			return b
		}
		return get(r, b)
	}
}

// checking prints get's value only on rows whose server's health check
// runs: enabled and not paused by maintenance.
func checking(get func(r *StatRow, b []byte) []byte) func(*StatRow, []byte) []byte {
	return checked(func(r *StatRow, b []byte) []byte {
		if r.CheckPaused {
			return b
		}
		return get(r, b)
	})
}

// statCols lists the columns of statHeader in order.
var statCols = [...]statCol{
	{onAll, str(func(r *StatRow) string { return r.Proxy })},
	{onAll, func(r *StatRow, b []byte) []byte {
		switch r.Kind {
		case StatFrontend:
			return append(b, "FRONTEND"...)
		case StatBackend:
			return append(b, "BACKEND"...)
		}
		return append(b, r.Server...)
	}},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.Qcur })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.Qmax })},
	{onAll, num(func(r *StatRow) int64 { return r.Scur })},
	{onAll, num(func(r *StatRow) int64 { return r.Smax })},
	{onAll, func(r *StatRow, b []byte) []byte {
		if r.Kind == StatServer && r.Slim == 0 {
			return b
		}
		return strconv.AppendInt(b, int64(r.Slim), 10)
	}},
	{onAll, num(func(r *StatRow) int64 { return r.Stot })},
	{onAll, num(func(r *StatRow) int64 { return r.Bin })},
	{onAll, num(func(r *StatRow) int64 { return r.Bout })},
	{onFE | onBE, num(func(r *StatRow) int64 { return r.Dreq })},
	{onAll, num(func(r *StatRow) int64 { return r.Dresp })},
	{onFE, num(func(r *StatRow) int64 { return r.Ereq })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.Econ })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.Eresp })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.Wretr })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.Wredis })},
	{onAll, str(func(r *StatRow) string { return r.Status })},
	{onBE | onSV, num(func(r *StatRow) int64 { return int64(r.Weight) })},
	{onBE | onSV, num(func(r *StatRow) int64 { return int64(r.Act) })},
	{onBE | onSV, num(func(r *StatRow) int64 { return int64(r.Bck) })},
	{onSV, checked(num(func(r *StatRow) int64 { return r.ChkFail }))},
	{onBE | onSV, checked(num(func(r *StatRow) int64 { return r.ChkDown }))},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.LastChg })},
	{onBE | onSV, checked(num(func(r *StatRow) int64 { return r.Downtime }))},
	{0, nil}, // qlimit
	{onAll, num(func(r *StatRow) int64 { return int64(r.Pid) })},
	{onAll, num(func(r *StatRow) int64 { return int64(r.ProxyID) })},
	{onAll, num(func(r *StatRow) int64 { return int64(r.ServerID) })},
	{onSV, func(r *StatRow, b []byte) []byte {
		if r.Throttle == 0 {
			return b
		}
		return strconv.AppendInt(b, int64(r.Throttle), 10)
	}},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.LbTot })},
	{onSV, str(func(r *StatRow) string { return r.Tracked })},
	{onAll, num(func(r *StatRow) int64 { return int64(r.Kind) })},
	{onAll, num(func(r *StatRow) int64 { return r.Rate })},
	{onFE, num(func(r *StatRow) int64 { return r.RateLim })},
	{onAll, num(func(r *StatRow) int64 { return r.RateMax })},
	{onSV, checking(str(func(r *StatRow) string { return r.CheckStatus }))},
	{onSV, checking(str(func(r *StatRow) string { return r.CheckCode }))},
	{onSV, checking(func(r *StatRow, b []byte) []byte {
		switch {
		case r.CheckUntimed:
			return strconv.AppendUint(b, math.MaxUint64, 10)
		case r.CheckDuration < 0: // no check finished yet
			return b
		}
		return strconv.AppendInt(b, r.CheckDuration, 10)
	})},
	{onAll, num(func(r *StatRow) int64 { return r.Hrsp[0] })},
	{onAll, num(func(r *StatRow) int64 { return r.Hrsp[1] })},
	{onAll, num(func(r *StatRow) int64 { return r.Hrsp[2] })},
	{onAll, num(func(r *StatRow) int64 { return r.Hrsp[3] })},
	{onAll, num(func(r *StatRow) int64 { return r.Hrsp[4] })},
	{onAll, num(func(r *StatRow) int64 { return r.Hrsp[5] })},
	{onSV, func(r *StatRow, b []byte) []byte {
		if !r.Observed {
			return b
		}
		return strconv.AppendInt(b, r.HanaFail, 10)
	}},
	{onFE, num(func(r *StatRow) int64 { return r.ReqRate })},
	{onFE, num(func(r *StatRow) int64 { return r.ReqRateMax })},
	{onAll, num(func(r *StatRow) int64 { return r.ReqTot })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.CliAbrt })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.SrvAbrt })},
	{onFE | onBE, zero}, // comp_in
	{onFE | onBE, zero}, // comp_out
	{onFE | onBE, zero}, // comp_byp
	{onFE | onBE, zero}, // comp_rsp
	{onBE | onSV, num(func(r *StatRow) int64 { return r.LastSess })},
	{onSV, checking(str(func(r *StatRow) string { return r.LastChk }))},
	{onSV, agentCol(func(a *AgentRow, b []byte) []byte { return appendCSV(b, a.Last) })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.Qtime })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.Ctime })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.Rtime })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.Ttime })},
	{onSV, agentCol(func(a *AgentRow, b []byte) []byte { return appendCSV(b, a.Status) })},
	{onSV, agentCol(func(a *AgentRow, b []byte) []byte { return append(b, a.Code...) })},
	{onSV, agentCol(func(a *AgentRow, b []byte) []byte {
		if a.Duration < 0 {
			return strconv.AppendUint(b, math.MaxUint64, 10)
		}
		return strconv.AppendInt(b, a.Duration, 10)
	})},
	{onSV, checking(str(func(r *StatRow) string { return r.CheckDesc }))},
	{onSV, agentCol(func(a *AgentRow, b []byte) []byte { return appendCSV(b, a.Desc) })},
	{onSV, checking(num(func(r *StatRow) int64 { return int64(r.CheckRise) }))},
	{onSV, checking(num(func(r *StatRow) int64 { return int64(r.CheckFall) }))},
	{onSV, checking(num(func(r *StatRow) int64 { return int64(r.CheckHealth) }))},
	{onSV, agentCol(func(_ *AgentRow, b []byte) []byte { return append(b, '1') })}, // agent_rise
	{onSV, agentCol(func(_ *AgentRow, b []byte) []byte { return append(b, '1') })}, // agent_fall
	{onSV, agentCol(func(a *AgentRow, b []byte) []byte { return strconv.AppendInt(b, int64(a.Health), 10) })},
	{onSV, str(func(r *StatRow) string { return r.Addr })},
	{onBE | onSV, str(func(r *StatRow) string { return r.Cookie })},
	{onAll, str(func(r *StatRow) string { return r.Mode })},
	{onBE, str(func(r *StatRow) string { return r.Algo })},
	{onFE, num(func(r *StatRow) int64 { return r.ConnRate })},
	{onFE, num(func(r *StatRow) int64 { return r.ConnRateMax })},
	{onFE, num(func(r *StatRow) int64 { return r.ConnTot })},
	{onFE, num(func(r *StatRow) int64 { return r.Intercepted })},
	{onFE, num(func(r *StatRow) int64 { return r.Dcon })},
	{onFE, num(func(r *StatRow) int64 { return r.Dses })},
	{onAll, num(func(r *StatRow) int64 { return r.Wrew })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.Connect })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.Reuse })},
	{onFE | onBE, zero}, // cache_lookups
	{onFE | onBE, zero}, // cache_hits
	{onSV, num(func(r *StatRow) int64 { return r.SrvIcur })},
	{0, nil}, // src_ilim
	{onBE | onSV, num(func(r *StatRow) int64 { return r.QtimeMax })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.CtimeMax })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.RtimeMax })},
	{onBE | onSV, num(func(r *StatRow) int64 { return r.TtimeMax })},
	{onAll, num(func(r *StatRow) int64 { return r.Eint })},
	{onSV, num(func(r *StatRow) int64 { return r.IdleConnCur })},
	{onSV, num(func(r *StatRow) int64 { return r.SafeConnCur })},
	{onSV, num(func(r *StatRow) int64 { return r.UsedConnCur })},
	{onSV, num(func(r *StatRow) int64 { return r.NeedConnEst })},
	{onBE | onSV, num(func(r *StatRow) int64 { return int64(r.UWeight) })},
	{onBE, zero}, // agg_server_status
	{onBE, zero}, // agg_server_check_status
	{onBE, zero}, // agg_check_status
	{onAll, func(_ *StatRow, b []byte) []byte { return append(b, '-') }},
	{onAll, zero},       // ssl_sess
	{onAll, zero},       // ssl_reused_sess
	{onAll, zero},       // ssl_failed_handshake
	{onFE | onBE, zero}, // h2_headers_rcvd
	{onFE | onBE, zero}, // h2_data_rcvd
	{onFE | onBE, zero}, // h2_settings_rcvd
	{onFE | onBE, zero}, // h2_rst_stream_rcvd
	{onFE | onBE, zero}, // h2_goaway_rcvd
	{onFE | onBE, zero}, // h2_detected_conn_protocol_errors
	{onFE | onBE, zero}, // h2_detected_strm_protocol_errors
	{onFE | onBE, zero}, // h2_rst_stream_resp
	{onFE | onBE, zero}, // h2_goaway_resp
	{onFE | onBE, zero}, // h2_open_connections
	{onFE | onBE, zero}, // h2_backend_open_streams
	{onFE | onBE, zero}, // h2_total_connections
	{onFE | onBE, zero}, // h2_backend_total_streams
	{onFE | onBE, num(func(r *StatRow) int64 { return r.H1.OpenConnections })},
	{onFE | onBE, num(func(r *StatRow) int64 { return r.H1.OpenStreams })},
	{onFE | onBE, num(func(r *StatRow) int64 { return r.H1.TotalConnections })},
	{onFE | onBE, num(func(r *StatRow) int64 { return r.H1.TotalStreams })},
	{onFE | onBE, num(func(r *StatRow) int64 { return r.H1.BytesIn })},
	{onFE | onBE, num(func(r *StatRow) int64 { return r.H1.BytesOut })},
	{onFE | onBE, zero}, // h1_spliced_bytes_in
	{onFE | onBE, zero}, // h1_spliced_bytes_out
}

// appendStatRow appends r as one CSV line: every column followed by a comma,
// as HAProxy prints it, then a newline. Field values are printed as they are;
// HAProxy's CSV has no quoting and neither do names that reach here.
func appendStatRow(b []byte, r *StatRow) []byte {
	for i := range statCols {
		c := &statCols[i]
		if c.kinds&(1<<r.Kind) != 0 && c.value != nil {
			b = c.value(r, b)
		}
		b = append(b, ',')
	}
	return append(b, '\n')
}
