package engine

import "testing"

// TestStatusObserved: statuses below 500, 501 and 505 are good news of a
// server; the other 5xx are errors, as HAProxy counts them.
func TestStatusObserved(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status int
		want   observed
	}{{100, obsGoodStatus}, {200, obsGoodStatus}, {404, obsGoodStatus}, {499, obsGoodStatus},
		{500, obsBadStatus}, {501, obsGoodStatus}, {502, obsBadStatus}, {503, obsBadStatus},
		{505, obsGoodStatus}, {599, obsBadStatus}} {
		if got := statusObserved(c.status); got != c.want {
			t.Errorf("status %d: %d, want %d", c.status, got, c.want)
		}
	}
}
