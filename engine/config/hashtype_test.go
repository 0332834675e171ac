package config

import "testing"

func TestHashType(t *testing.T) {
	tests := []struct {
		body string
		want HashType
	}{
		{"", HashType{}},
		{"    hash-type map-based\n", HashType{}},
		{"    hash-type consistent\n", HashType{Method: Consistent, Avalanche: true}},
		{"    hash-type consistent sdbm\n", HashType{Method: Consistent}},
		{"    hash-type consistent djb2 avalanche\n", HashType{Method: Consistent, Func: DJB2, Avalanche: true}},
		{"    hash-type map-based wt6\n", HashType{Func: WT6}},
		{"    hash-type map-based crc32 avalanche\n", HashType{Func: CRC32, Avalanche: true}},
		{"    hash-type map-based sdbm avalanche extra words\n", HashType{Avalanche: true}},
		{"    hash-type consistent '' avalanche\n", HashType{Method: Consistent, Avalanche: true}},
		{"    hash-type consistent wt6\n    hash-type map-based\n", HashType{}},
		// balance keeps the hash type, before or after it.
		{"    hash-type consistent crc32\n    balance uri\n", HashType{Method: Consistent, Func: CRC32}},
		{"    balance source\n    hash-type map-based djb2\n    balance uri whole\n", HashType{Func: DJB2}},
	}
	for _, tt := range tests {
		if got := backend(t, tt.body).Balance.Hash; got != tt.want {
			t.Errorf("%q: got %+v want %+v", tt.body, got, tt.want)
		}
	}
}

func TestHashTypeInherited(t *testing.T) {
	cfg := mustParse(t, header+"defaults d2\n    mode http\n    hash-type consistent djb2\n    timeout client 5s\n    timeout server 5s\n    timeout connect 2s\nbackend be\n    balance hdr(host)\nbackend b2 from d2\n    hash-type map-based\n")
	want := HashType{Method: Consistent, Func: DJB2}
	if got := cfg.Backend("be").Balance; got.Hash != want || got.Algo != Hdr {
		t.Errorf("be: got %+v, want hash %+v", got, want)
	}
	if got := cfg.Backend("b2").Balance.Hash; got != (HashType{}) {
		t.Errorf("b2: got %+v, want map-based sdbm", got)
	}
}

func TestHashTypeDiags(t *testing.T) {
	tests := []struct {
		line string
		sev  Severity
		msg  string
	}{
		{"hash-type", Alert, "'hash-type' only supports 'consistent' and 'map-based'."},
		{"hash-type Consistent", Alert, "'hash-type' only supports 'consistent' and 'map-based'."},
		{"hash-type avalanche", Alert, "experimental feature 'hash-type avalanche' is not supported anymore, please use 'hash-type map-based sdbm avalanche' instead."},
		{"hash-type consistent none", Alert, "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions."},
		{"hash-type map-based avalanche", Alert, "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions."},
		{"hash-type consistent sdbm full", Alert, "'hash-type' only supports 'avalanche' as a modifier for hash functions."},
	}
	for _, tt := range tests {
		text := header + "backend be\n    " + tt.line + "\n"
		expectDiag(t, text, tt.sev, lastLineOf(text, tt.line), tt.msg)
	}
	text := header + "frontend f2\n    bind :1\n    default_backend be\n    hash-type consistent\nbackend be\n"
	expectDiag(t, text, Warning, lastLineOf(text, "hash-type"), "'hash-type' ignored because frontend 'f2' has no backend capability.")
}
