package persist

import (
	"net/netip"
	"strings"
)

// exchange is one request/response through a backend, as the engine would
// drive the persist functions. It is shared by the unit tests and the
// differential harness.
type exchange struct {
	method  string
	flags   Flags
	useSrv  int      // server chosen by use-server (with UseServer)
	cookies []string // Cookie field values, in order
	balance int      // server picked by load balancing when the cookie picks none
	redisp  int      // >= 0: the connection failed and was redispatched to this server
	status  int      // response status; 0 means 200
	fields  []string // response fields "name: value", as the server sends them
}

// outcome is what the client and the server see.
type outcome struct {
	server    int      // server that got the request
	forwarded []string // Cookie field values the server receives
	response  []string // response fields after edits, then inserted ones
	log       string   // the two cookie characters of %tsc
}

// run drives tb through ex at the wall-clock second now.
func run(tb *Table, now int64, ex exchange) outcome {
	var out outcome
	rq := tb.Request(now, []byte(orDefault(ex.method, "GET")), ex.flags, ex.useSrv)
	var buf [16]Edit
	for _, c := range ex.cookies {
		v := []byte(c)
		edits, act := tb.Cookie(&rq, v, buf[:0])
		if act == Remove {
			continue
		}
		out.forwarded = append(out.forwarded, string(Apply(nil, v, edits)))
	}
	if rq.Server() < 0 {
		rq.Balanced(ex.balance)
	}
	if ex.redisp >= 0 && ex.redisp != rq.Server() && rq.MayRedispatch() {
		rq.Redispatch(ex.redisp)
	}
	out.server = rq.Server()
	status := ex.status
	if status == 0 {
		status = 200
	}
	rs := tb.Response(&rq, status)
	for _, f := range ex.fields {
		name, value, _ := strings.Cut(f, ": ")
		edits, act := tb.ResponseField(&rq, &rs, []byte(name), []byte(value), buf[:0])
		if act == Remove {
			continue
		}
		out.response = append(out.response, name+": "+string(Apply(nil, []byte(value), edits)))
	}
	in := tb.Insert(&rq, &rs, now)
	for _, line := range strings.Split(string(in.AppendTo(nil)), "\r\n") {
		if line != "" {
			out.response = append(out.response, line)
		}
	}
	l := tb.LogFlags(&rq, &rs)
	out.log = string(l[:])
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// twoServers is the spec's usual backend: s1 with cookie a, s2 with b.
func twoServers(o Options) *Table {
	t, _ := Build(&Backend{Name: "b", Options: o, Servers: []Server{
		{Name: "s1", Cookie: "a", Addr: netip.MustParseAddr("127.0.0.1"), Port: 18080},
		{Name: "s2", Cookie: "b", Addr: netip.MustParseAddr("127.0.0.1"), Port: 18081},
	}})
	return t
}
