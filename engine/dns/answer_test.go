package dns

import (
	"net"
	"testing"

	mdns "github.com/miekg/dns"
)

// reply returns a packed reply to (name, qtype) built by edit.
func reply(t testing.TB, name string, qtype uint16, edit func(m *mdns.Msg)) []byte {
	t.Helper()
	q := new(mdns.Msg)
	q.SetQuestion(name, qtype)
	m := new(mdns.Msg)
	m.SetReply(q)
	edit(m)
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rrA(name, ip string) mdns.RR {
	return &mdns.A{Hdr: mdns.RR_Header{Name: name, Rrtype: mdns.TypeA, Class: mdns.ClassINET, Ttl: 1}, A: net.ParseIP(ip)}
}

func rrCNAME(name, target string) mdns.RR {
	return &mdns.CNAME{Hdr: mdns.RR_Header{Name: name, Rrtype: mdns.TypeCNAME, Class: mdns.ClassINET, Ttl: 1}, Target: target}
}

func TestParseAnswer(t *testing.T) {
	const name = "x.test."
	for _, c := range []struct {
		what  string
		qtype uint16
		edit  func(m *mdns.Msg)
		want  cause
		addrs int
	}{
		{"one A", mdns.TypeA, func(m *mdns.Msg) { m.Answer = []mdns.RR{rrA(name, "127.0.0.1")} }, causeValid, 1},
		{"NXDOMAIN", mdns.TypeA, func(m *mdns.Msg) { m.Rcode = mdns.RcodeNameError }, causeNX, 0},
		{"REFUSED", mdns.TypeA, func(m *mdns.Msg) { m.Rcode = mdns.RcodeRefused }, causeRefused, 0},
		{"SERVFAIL", mdns.TypeA, func(m *mdns.Msg) { m.Rcode = mdns.RcodeServerFailure }, causeError, 0},
		{"no answer", mdns.TypeA, func(m *mdns.Msg) {}, causeAncountZero, 0},
		{"two questions", mdns.TypeA, func(m *mdns.Msg) {
			m.Question = append(m.Question, m.Question[0])
			m.Answer = []mdns.RR{rrA(name, "127.0.0.1")}
		}, causeQueryCount, 0},
		{"other name", mdns.TypeA, func(m *mdns.Msg) {
			m.Question[0].Name = "y.test."
			m.Answer = []mdns.RR{rrA(name, "127.0.0.1")}
		}, causeWrongName, 0},
		{"truncated A", mdns.TypeA, func(m *mdns.Msg) {
			m.Truncated = true
			m.Answer = []mdns.RR{rrA(name, "127.0.0.1")}
		}, causeTruncated, 0},
		{"CNAME chain", mdns.TypeA, func(m *mdns.Msg) {
			m.Answer = []mdns.RR{rrCNAME(name, "z.test."), rrA("z.test.", "127.0.0.2"), rrA("z.test.", "127.0.0.3")}
		}, causeValid, 2},
		{"CNAME last", mdns.TypeA, func(m *mdns.Msg) { m.Answer = []mdns.RR{rrCNAME(name, "z.test.")} }, causeCNAME, 0},
		{"broken chain", mdns.TypeA, func(m *mdns.Msg) {
			m.Answer = []mdns.RR{rrCNAME(name, "z.test."), rrA("w.test.", "127.0.0.2")}
		}, causeCNAME, 0},
		{"first record elsewhere", mdns.TypeA, func(m *mdns.Msg) { m.Answer = []mdns.RR{rrA("w.test.", "127.0.0.2")} }, causeInvalid, 0},
		{"truncated SRV", mdns.TypeSRV, func(m *mdns.Msg) {
			m.Truncated = true
			m.Answer = []mdns.RR{&mdns.SRV{Hdr: mdns.RR_Header{Name: name, Rrtype: mdns.TypeSRV, Class: mdns.ClassINET}, Port: 80, Target: "t.test."}}
			m.Extra = []mdns.RR{rrA("t.test.", "127.0.0.4")}
		}, causeValid, 1},
	} {
		b := reply(t, name, c.qtype, c.edit)
		a, got := parseAnswer(b, name, c.qtype, 31)
		if got != c.want || len(a.items) != c.addrs && got == causeValid {
			t.Errorf("%s: cause %d with %d records, want %d with %d", c.what, got, len(a.items), c.want, c.addrs)
		}
	}
	// Too many records for the payload size.
	b := reply(t, name, mdns.TypeA, func(m *mdns.Msg) {
		m.Answer = []mdns.RR{rrA(name, "127.0.0.1"), rrA(name, "127.0.0.2")}
	})
	if _, got := parseAnswer(b, name, mdns.TypeA, 1); got != causeInvalid {
		t.Errorf("more records than the payload allows: cause %d", got)
	}
	// Cut short.
	if _, got := parseAnswer(b[:len(b)-3], name, mdns.TypeA, 31); got != causeInvalid {
		t.Errorf("cut answer: cause %d", got)
	}
}
