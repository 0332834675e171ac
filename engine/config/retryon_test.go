package config

import "testing"

func TestRetryOnParse(t *testing.T) {
	for _, c := range []struct {
		line string
		want RetryOn
	}{
		{"", RetryConnFailure}, // HAProxy's default
		{"    retry-on none\n", 0},
		{"    retry-on 503 504\n", Retry503 | Retry504},
		{"    retry-on conn-failure empty-response response-timeout\n", RetryConnFailure | RetryEmptyResponse | RetryTimeout},
		{"    retry-on all-retryable-errors\n", RetryAllErrors},
		{"    retry-on all-retryable-errors 404 401\n", RetryAllErrors | Retry404 | Retry401},
		{"    retry-on 401 403 404 408 425 500 501 502 503 504\n", Retry401 | Retry403 | Retry404 | Retry408 | Retry425 |
			Retry500 | Retry501 | Retry502 | Retry503 | Retry504},
		{"    retry-on junk-response 0rtt-rejected\n", RetryJunkResponse | Retry0RTTRejected},
		{"    retry-on 503\n    retry-on 404\n", Retry404}, // a later line replaces an earlier one
	} {
		be := backend(t, c.line+"    server s1 127.0.0.1:1\n")
		if be.RetryOn != c.want {
			t.Errorf("%q: RetryOn %#x, want %#x", c.line, be.RetryOn, c.want)
		}
	}
}

func TestRetryOnInherit(t *testing.T) {
	cfg := mustParse(t, "defaults d1\n    mode http\n    retry-on 503 empty-response\n"+
		"backend a from d1\n    server s 127.0.0.1:1\n"+
		"backend b from d1\n    retry-on none\n    server s 127.0.0.1:1\n"+
		"defaults d2\n    mode http\n"+
		"backend c from d2\n    server s 127.0.0.1:1\n")
	for name, want := range map[string]RetryOn{"a": Retry503 | RetryEmptyResponse, "b": 0, "c": RetryConnFailure} {
		if got := cfg.Backend(name).RetryOn; got != want {
			t.Errorf("backend %s: RetryOn %#x, want %#x", name, got, want)
		}
	}
}

func TestRetryOnErrors(t *testing.T) {
	for _, c := range []struct {
		text string
		line int
		msg  string
	}{
		{header + "backend be\n    retry-on\n", 12, "'retry-on' needs at least one keyword to specify when to retry"},
		{header + "backend be\n    retry-on 503 405\n", 12, "'retry-on': unknown keyword '405'"},
		{header + "backend be\n    retry-on none 503\n", 12, "'retry-on' 'none' keyworld only usable alone"},
		{header + "backend be\n    retry-on 503 none\n", 12, "'retry-on' 'none' keyworld only usable alone"},
		{header + "frontend f2\n    bind 127.0.0.1:1\n    retry-on 503\n", 13, "'retry-on' only available in backend or listen section"},
	} {
		expectDiag(t, c.text, Alert, c.line, c.msg)
	}
}

func TestRetryOnLayer7(t *testing.T) {
	for _, c := range []struct {
		r    RetryOn
		l7   bool
		hits []int
	}{
		{0, false, nil},
		{RetryConnFailure, false, nil},
		{RetryConnFailure | RetryEmptyResponse, true, nil},
		{Retry503 | Retry404, true, []int{503, 404}},
		{RetryAllErrors, true, []int{500, 502, 503, 504}},
	} {
		if got := c.r.Layer7(); got != c.l7 {
			t.Errorf("%#x: Layer7 %v, want %v", c.r, got, c.l7)
		}
		for _, st := range []int{200, 301, 401, 403, 404, 408, 425, 500, 501, 502, 503, 504, 505} {
			want := false
			for _, h := range c.hits {
				want = want || h == st
			}
			if got := c.r&RetryStatus(st) != 0; got != want {
				t.Errorf("%#x: RetryStatus(%d) %v, want %v", c.r, st, got, want)
			}
		}
	}
}
