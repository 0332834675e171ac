package engine

import (
	"net/netip"

	"tether/engine/config"
)

// acceptConn runs a frontend's `tcp-request connection` rules on a new
// connection from src: the first rule that holds accepts or rejects it;
// none accepts it. A rejected connection is closed at once, unlogged, as
// HAProxy closes it.
func acceptConn(rules []config.TCPRule, src netip.Addr) bool {
	v := &connView{src: src}
	for i := range rules {
		if r := &rules[i]; r.Cond == nil || r.Cond.Eval(v) {
			return r.Accept
		}
	}
	return true
}

// connView is a connection as tcp-request connection conditions read it:
// its client's address, and nothing of a request yet.
type connView struct{ src netip.Addr }

func (v *connView) Method() []byte                  { return nil }
func (v *connView) URL() []byte                     { return nil }
func (v *connView) Path() []byte                    { return nil }
func (v *connView) Query() []byte                   { return nil }
func (v *connView) NumHeaders() int                 { return 0 }
func (v *connView) Header(int) (name, value []byte) { return nil, nil }
func (v *connView) Src() netip.Addr                 { return v.src }
