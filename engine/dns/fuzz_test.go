package dns

import (
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// FuzzParseAnswer feeds arbitrary responses to the validation and the
// merge of records into a resolution.
func FuzzParseAnswer(f *testing.F) {
	f.Add(reply(f, "x.test.", mdns.TypeA, func(m *mdns.Msg) { m.Answer = []mdns.RR{rrA("x.test.", "127.0.0.1")} }))
	f.Add(reply(f, "x.test.", mdns.TypeA, func(m *mdns.Msg) {
		m.Answer = []mdns.RR{rrCNAME("x.test.", "z.test."), rrA("z.test.", "127.0.0.2")}
	}))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, qt := range []uint16{mdns.TypeA, mdns.TypeAAAA, mdns.TypeSRV} {
			a, c := parseAnswer(b, "x.test.", qt, 31)
			if c != causeValid {
				if len(a.items) != 0 || len(a.extra) != 0 {
					t.Fatalf("records with cause %d", c)
				}
				continue
			}
			if len(a.items) > 31 {
				t.Fatalf("%d records past the bound", len(a.items))
			}
			var res resolution
			res.merge(a, time.Time{})
			for i := 1; i < len(res.records); i++ {
				if res.records[i-1].key > res.records[i].key {
					t.Fatal("records out of key order")
				}
			}
		}
	})
}
