package config

import "testing"

func TestMinConn(t *testing.T) {
	cfg := mustParse(t, header+"backend be\n    fullconn 40\n    default-server minconn 3\n"+
		"    server a 127.0.0.1:1 maxconn 20\n    server b 127.0.0.1:2 minconn 30 maxconn 20\n    server c 127.0.0.1:3 minconn 5\n")
	be := cfg.Backend("be")
	for _, tt := range []struct {
		name          string
		minConn, want int
	}{
		{"a", 3, 20},  // from default-server
		{"b", 30, 30}, // above maxconn: raises it
		{"c", 5, 5},   // alone: a static maxconn
	} {
		s := be.Server(tt.name)
		if s.MinConn != tt.minConn || s.MaxConn != tt.want {
			t.Errorf("%s: minconn %d maxconn %d, want %d %d", tt.name, s.MinConn, s.MaxConn, tt.minConn, tt.want)
		}
	}
	if be.FullConn != 40 {
		t.Errorf("fullconn %d", be.FullConn)
	}
}
