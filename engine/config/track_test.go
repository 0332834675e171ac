package config

import (
	"strings"
	"testing"
)

// TestTrack links tracking servers, chains included, and refuses what
// HAProxy 2.6 refuses with its messages (checked with haproxy -c).
func TestTrack(t *testing.T) {
	head := "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nbackend be\n"
	tail := "backend other\n  server a 127.0.0.1:4 check\n"
	cfg, err := Parse(File{Name: "t.cfg", Data: []byte(head +
		"  server a 127.0.0.1:1 check\n  server t 127.0.0.1:2 track a\n  server u 127.0.0.1:3 track t\n  server o 127.0.0.1:5 track other/a\n" + tail)})
	if err != nil {
		t.Fatal(err)
	}
	be := cfg.Backend("be")
	for name, want := range map[string]string{"t": "be/a", "u": "be/t", "o": "other/a"} {
		s := be.Server(name)
		if s.Track == nil || s.TrackBackend+"/"+s.Track.Name != want {
			t.Errorf("server %s tracks %v in %q, want %s", name, s.Track, s.TrackBackend, want)
		}
	}
	for body, want := range map[string]string{
		"  server a 127.0.0.1:1 check\n  server t 127.0.0.1:2 track nope\n":      "[t.cfg:8] : 'server be/t': unable to find required server 'nope' for tracking.",
		"  server a 127.0.0.1:1\n  server t 127.0.0.1:2 track a\n":               "[t.cfg:8] : 'server be/t': unable to use be/a for tracking as it does not have any check nor agent enabled.",
		"  server a 127.0.0.1:1 check\n  server t 127.0.0.1:2 track x/a\n":       "[t.cfg:8] : 'server be/t': unable to find required proxy 'x' for tracking.",
		"  server a 127.0.0.1:1 check track t\n  server t 127.0.0.1:2 track a\n": "[t.cfg:7] : 'server be/a': unable to enable checks and tracking at the same time!",
		"  server a 127.0.0.1:1 track b\n  server b 127.0.0.1:2 track a\n":       "[t.cfg:8] : 'server be/b': unable to track be/a as it belongs to a tracking chain looping back to be/b.",
		"  http-check disable-on-404\n  server t 127.0.0.1:2 track other/a\n":    "unable to use other/a fortracking: disable-on-404 option inconsistency.",
	} {
		_, err := Parse(File{Name: "t.cfg", Data: []byte(head + body + tail)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v\nwant %q", body, err, want)
		}
	}
}
