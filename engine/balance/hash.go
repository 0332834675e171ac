package balance

import (
	"hash/crc32"
	"math/bits"

	"tether/engine/config"
)

// sum returns the hash of b by the backend's `hash-type` function, passed
// through fullHash when the line asks for avalanche.
func (t *Table) sum(b []byte) uint32 {
	var h uint32
	switch t.bal.Hash.Func {
	case config.DJB2:
		h = djb2(b)
	case config.WT6:
		h = wt6(b)
	case config.CRC32:
		h = crc32.ChecksumIEEE(b)
	default:
		h = sdbm(b)
	}
	return t.mix(h)
}

// mix applies the avalanche modifier of `hash-type` to h, if set.
func (t *Table) mix(h uint32) uint32 {
	if t.bal.Hash.Avalanche {
		return fullHash(h)
	}
	return h
}

// sdbm is the hash of the sdbm database library, HAProxy's default hash
// function: h = h*65599 + c for each byte.
func sdbm(b []byte) uint32 {
	var h uint32
	for _, c := range b {
		h = uint32(c) + h<<6 + h<<16 - h
	}
	return h
}

// djb2 is Dan Bernstein's hash: h = h*33 + c for each byte, from 5381.
func djb2(b []byte) uint32 {
	h := uint32(5381)
	for _, c := range b {
		h = h<<5 + h + uint32(c)
	}
	return h
}

// wt6 is HAProxy's wt6 hash: two 32-bit states, each byte folded into both
// (one by exclusive-or, one by addition, both complemented), then each
// state rotated into the other by amounts drawn from the states themselves.
func wt6(b []byte) uint32 {
	h0, h1 := uint32(0xa53c965a), uint32(0x5ca6953a)
	r0, r1 := 6, 18
	for _, c := range b {
		h0 = ^(h0 ^ uint32(c))
		h1 = ^(h1 + uint32(c))
		h0, h1 = bits.RotateLeft32(h1, r0), bits.RotateLeft32(h0, r1)
		m := (h0>>16 ^ h1) & 0xffff
		r0, r1 = int(m&0x1f), int(m>>11)
	}
	return h0 ^ h1
}

// fullHash is Bob Jenkins' 32-bit full avalanche integer hash followed by a
// multiplication by the prime 3221225473, HAProxy's full_hash: the
// avalanche modifier, and the positions of servers on the consistent
// hashing ring. It is a bijection of the 32-bit integers.
func fullHash(a uint32) uint32 {
	a = a + 0x7ed55d16 + a<<12
	a = a ^ 0xc761c23c ^ a>>19
	a = a + 0x165667b1 + a<<5
	a = (a + 0xd3a2646c) ^ a<<9
	a = a + 0xfd7046c5 + a<<3
	a = a ^ 0xb55a4f09 ^ a>>16
	return a * 3221225473
}
