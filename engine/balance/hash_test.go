package balance

import (
	"testing"

	"tether/engine/config"
)

// hashVectors are the outputs of haproxy 2.6.12's sdbm, djb2, wt6 and crc32
// converters, without and with their avalanche argument, which apply the
// functions `hash-type` names and full_hash.
var hashVectors = []struct {
	in string
	// sdbm, sdbm+avalanche, djb2, djb2+avalanche, wt6, wt6+avalanche,
	// crc32, crc32+avalanche
	want [8]uint32
}{
	{"a", [8]uint32{97, 1830748055, 177670, 3548763807, 1900802597, 1986649387, 3904355907, 1288200982}},
	{"/index.html", [8]uint32{858007926, 4217574924, 3776231887, 1889807916, 822151038, 2986733765, 3928116034, 571229468}},
	{"user42", [8]uint32{956198665, 253765262, 556066410, 3250504791, 2769745836, 1969511451, 2083503798, 2703474008}},
	{"www.example.com", [8]uint32{2718216582, 1242975261, 2843247409, 2767889732, 612436471, 2993095237, 785793723, 1314402354}},
	{"The quick brown fox jumps over the lazy dog", [8]uint32{2359783795, 4144961173, 885799134, 3419350371, 3840389189, 2386649459, 1095738169, 1090730130}},
}

func TestHashFunctions(t *testing.T) {
	t.Parallel()
	for _, v := range hashVectors {
		for f, fn := range []config.HashFunc{config.SDBM, config.DJB2, config.WT6, config.CRC32} {
			for a, aval := range []bool{false, true} {
				tab := &Table{bal: config.Balance{Hash: config.HashType{Func: fn, Avalanche: aval}}}
				if got, want := tab.sum([]byte(v.in)), v.want[2*f+a]; got != want {
					t.Errorf("%q function %d avalanche %v: %d, want %d", v.in, fn, aval, got, want)
				}
			}
		}
	}
}

func TestHashEmpty(t *testing.T) {
	t.Parallel()
	for fn, want := range map[config.HashFunc]uint32{config.SDBM: 0, config.DJB2: 5381, config.WT6: 0xa53c965a ^ 0x5ca6953a, config.CRC32: 0} {
		tab := &Table{bal: config.Balance{Hash: config.HashType{Func: fn}}}
		if got := tab.sum(nil); got != want {
			t.Errorf("function %d of nothing: %#x, want %#x", fn, got, want)
		}
	}
}
