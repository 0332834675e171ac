package config

// Messages of `hash-type`, worded as HAProxy 2.6 words them.
const (
	hashMethodUsage   = "'hash-type' only supports 'consistent' and 'map-based'."
	hashFuncUsage     = "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions."
	hashModifierUsage = "'hash-type' only supports 'avalanche' as a modifier for hash functions."
	hashAvalancheGone = "experimental feature 'hash-type avalanche' is not supported anymore, please use 'hash-type map-based sdbm avalanche' instead."
)

// hashFuncs maps the `hash-type` function names to their values.
var hashFuncs = map[string]HashFunc{"sdbm": SDBM, "djb2": DJB2, "wt6": WT6, "crc32": CRC32}

// parseHashType parses `hash-type <method> [<function> [<modifier>]]`.
// Without a function, consistent hashing uses sdbm with avalanche and
// map-based hashing plain sdbm. As in HAProxy, words after the modifier are
// ignored, and so is a modifier after an empty function word (args stops at
// the first empty word).
func (p *parser) parseHashType(px *Proxy, a []string) {
	var h HashType
	switch at(a, 0) {
	case "consistent":
		h.Method = Consistent
	case "map-based":
		h.Method = MapBased
	case "avalanche":
		p.alert(hashAvalancheGone)
		return
	default:
		p.alert(hashMethodUsage)
		return
	}
	if len(a) < 2 {
		h.Avalanche = h.Method == Consistent
		px.Balance.Hash = h
		return
	}
	f, ok := hashFuncs[a[1]]
	if !ok {
		p.alert(hashFuncUsage)
		return
	}
	h.Func = f
	switch at(a, 2) {
	case "avalanche":
		h.Avalanche = true
	case "":
	default:
		p.alert(hashModifierUsage)
		return
	}
	px.Balance.Hash = h
}
