package engine

import "tether/engine/config"

// Bounds of the variables of one exchange. HAProxy bounds the memory its
// variables take by scope (tune.vars.txn-max-size and the others, unbounded
// by default) and fails a set-var past the bound, leaving the variable
// unset; tether bounds them by exchange, with the same outcome: a set-var
// that finds no room leaves the variable unset, and the request goes on.
const (
	maxVars     = 32   // variables set at once in one exchange
	maxVarBytes = 4096 // bytes of their values
)

// varStore holds the variables of one exchange: entries naming a variable
// and its value in an arena of fixed capacity, so setting one never
// allocates. A value set again is written anew and its old bytes stay
// until the exchange ends. It belongs to the exchange and lives as long;
// it is not safe for concurrent use.
//
// sess variables live in a store of the client connection (its requests
// share them, as HAProxy's session does), taken when the first is set;
// the other scopes live for the exchange: proc variables are not shared
// beyond it yet. req and res variables share one space, as in HAProxy,
// emptied when the response's processing starts.
type varStore struct {
	vars    []varEntry
	arena   []byte
	uid     []byte // the request's unique ID, once uidDone
	uidDone bool
	pruned  bool       // the req variables are gone: the response's processing began
	uidBuf  []byte     // the samples of the unique ID, one at a time
	uidView sampleView // the unique-id-format's samples, into uidBuf
	logView sampleView // a log line's samples, into the loop's format buffer
}

// varEntry is one variable set: its value is arena[off:end].
type varEntry struct {
	scope    config.VarScope
	name     string // the configuration's string: compared, never copied
	off, end uint32
}

// storeScope maps a scope to the space its variables live in.
func storeScope(s config.VarScope) config.VarScope {
	if s == config.ScopeRes {
		return config.ScopeReq
	}
	return s
}

// init gives the store its room, once.
func (vs *varStore) init() {
	if vs.arena == nil {
		vs.vars = make([]varEntry, 0, maxVars)
		vs.arena = make([]byte, 0, maxVarBytes)
		vs.uid = make([]byte, 0, maxUniqueID)
		vs.uidBuf = make([]byte, 0, maxUniqueID)
	}
}

// reset forgets every variable, for a new exchange.
func (vs *varStore) reset() {
	vs.vars, vs.arena, vs.uid, vs.uidDone, vs.pruned = vs.vars[:0], vs.arena[:0], vs.uid[:0], false, false
}

// find returns the index of v's entry, or -1.
func (vs *varStore) find(v config.VarRef) int {
	sc := storeScope(v.Scope)
	for i := range vs.vars {
		if e := &vs.vars[i]; e.scope == sc && e.name == v.Name {
			return i
		}
	}
	return -1
}

// get returns the value of v, a view valid until the store changes; ok is
// false when v is not set.
func (vs *varStore) get(v config.VarRef) (value []byte, ok bool) {
	i := vs.find(v)
	if i < 0 {
		return nil, false
	}
	e := &vs.vars[i]
	return vs.arena[e.off:e.end], true
}

// set gives v the value val, copied, and reports whether it found room;
// without room v is left unset, as HAProxy leaves a variable past its
// limits.
func (vs *varStore) set(v config.VarRef, val []byte) bool {
	vs.init()
	i := vs.find(v)
	if i < 0 && len(vs.vars) == cap(vs.vars) || len(vs.arena)+len(val) > cap(vs.arena) {
		vs.unset(v)
		return false
	}
	off := len(vs.arena)
	vs.arena = append(vs.arena, val...)
	e := varEntry{scope: storeScope(v.Scope), name: v.Name, off: uint32(off), end: uint32(len(vs.arena))}
	if i < 0 {
		vs.vars = append(vs.vars, e)
	} else {
		vs.vars[i] = e
	}
	return true
}

// unset removes v.
func (vs *varStore) unset(v config.VarRef) {
	if i := vs.find(v); i >= 0 {
		vs.vars = append(vs.vars[:i], vs.vars[i+1:]...)
	}
}

// pruneReq removes the req and res variables, as HAProxy does when the
// request goes to a server and the response's processing begins, once:
// the res variables set then stay. A log line sees the exchange so, its
// req variables gone.
func (vs *varStore) pruneReq() {
	if vs.pruned {
		return
	}
	vs.pruned = true
	n := 0
	for _, e := range vs.vars {
		if e.scope != config.ScopeReq {
			vs.vars[n] = e
			n++
		}
	}
	vs.vars = vs.vars[:n]
}

// vars returns the variables of the exchange of cc.
func (cc *clientConn) vars() *varStore { return &cc.x.fs.vars }

// varsFor returns the store of v's scope: the client connection's for a
// sess variable, which the connection's next requests see, the exchange's
// for the others.
func (cc *clientConn) varsFor(v config.VarRef) *varStore {
	if v.Scope == config.ScopeSess {
		return &cc.sess
	}
	return cc.vars()
}

// setVar runs a set-var or set-var-fmt rule: the value is evaluated as a
// format into the loop's format buffer, then copied into the store. A
// set-var whose sample has nothing to give leaves the variable as it was,
// as HAProxy's; a value past tune.maxrewrite or the store's bounds leaves it
// unset.
func (cc *clientConn) setVar(ru *config.HTTPRule, fs *fieldSet) {
	w := boundedWriter{b: cc.ls.fmtBuf[:0]}
	found := true
	for i := range ru.Value {
		found = writePart(&w, &ru.Value[i], fs, cc) || ru.Action == config.RuleSetVarFmt
	}
	switch {
	case !found:
	case w.over:
		cc.varsFor(ru.Var).unset(ru.Var)
	default:
		cc.varsFor(ru.Var).set(ru.Var, w.b)
	}
}

// Var returns the value of the variable v of the exchange (config.VarReader).
func (cc *clientConn) Var(v config.VarRef) ([]byte, bool) { return cc.varsFor(v).get(v) }

// Var returns the value of the variable v of the exchange whose response
// this is (config.VarReader).
func (v *responseView) Var(ref config.VarRef) ([]byte, bool) { return v.cc.varsFor(ref).get(ref) }
