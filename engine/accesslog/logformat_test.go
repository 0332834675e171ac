package accesslog

import (
	"net/netip"
	"testing"

	"tether/engine/config"
)

// TestAppendLogFormat renders log-format variables and flags that the
// differential test against haproxy does not pin down: hexadecimal, the
// +E escapes, dates and the derived timers.
func TestAppendLogFormat(t *testing.T) {
	format := func(s string) config.LogFormat {
		cfg, err := config.Parse(config.File{Name: "t.cfg", Data: []byte("defaults\n  mode http\n  timeout client 1s\n" +
			"frontend fe\n  bind 127.0.0.1:18080\n  log-format \"" + s + "\"\n")})
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Proxies[0].LogFormat
	}
	r := baseRecord()
	r.Client = netip.MustParseAddrPort("[2001:db8::1]:443")
	r.Th, r.Ti = 2, 5
	r.Frontend = `a"b]c\`
	r.ReqCounter = 255
	tests := []struct{ format, want string }{
		{"%{+X}ci:%{+X}cp", "20010DB8000000000000000000000001:01BB"},
		{"%{+X}rt %rt", "00FF 255"},
		{"%{+Q,+E}f %{+Q}f %f", `"a\"b\]c\\" "a"b]c\" a"b]c\`},
		{"%Th %Ti %TR %Tq %Ta %Tt %Tu %Td", "2 5 10 17 109 116 111 0"},
		{"%Ts %ms", itoaTest(accept.Unix()) + " 007"},
		{"%HQ|%HP|%HPO|%HU", "|/index.html|/index.html|/index.html"},
		{"%ID %sslv %CC %{+Q}CC", `- - - -`},
		{"100%% %{+Q}o%b %s", `100% "static" "srv1"`},
	}
	for _, tt := range tests {
		if got := string(AppendLogFormat(nil, format(tt.format), &r, MaxLine)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.format, got, tt.want)
		}
	}
	r.Tw = -1
	if got := string(AppendLogFormat(nil, format("%Td %Tq"), &r, MaxLine)); got != "-1 17" {
		t.Errorf("Td with Tw -1: %q", got)
	}
	if got := string(AppendLogFormat(nil, format("%ci %ci %ci"), &r, 10)); got != "2001:db8::" {
		t.Errorf("cut at 10 bytes: %q", got)
	}
}

func itoaTest(n int64) string { return string(appendInt(nil, n)) }
