package dns

import (
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// BenchmarkParseAnswer measures the validation of an answer of 5 A
// records and its merge into a resolution that already holds them (the
// steady state of a server-template).
func BenchmarkParseAnswer(b *testing.B) {
	const name = "app.test."
	msg := reply(b, name, mdns.TypeA, func(m *mdns.Msg) {
		for _, ip := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"} {
			m.Answer = append(m.Answer, rrA(name, ip))
		}
	})
	var res resolution
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		a, c := parseAnswer(msg, name, mdns.TypeA, 31)
		if c != causeValid {
			b.Fatal(c)
		}
		res.merge(a, now)
	}
	if len(res.records) != 5 {
		b.Fatalf("%d records", len(res.records))
	}
}
