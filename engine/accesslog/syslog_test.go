package accesslog

import (
	"errors"
	"testing"
	"time"

	"tether/engine/config"
)

func TestAppendHeader(t *testing.T) {
	now := time.Date(2026, time.November, 2, 3, 4, 5, 321_959_000, time.Local)
	date := now.Format("Jan _2 15:04:05")
	iso := now.Format("2006-01-02T15:04:05.000000-07:00")
	cases := []struct {
		format          logFormat
		facility, level int
		want            string
	}{
		{formatLocal, 16, 6, "<134>" + date + " tether[4242]: "},
		{formatRFC3164, 17, 6, "<142>" + date + " localhost tether[4242]: "},
		{formatRFC5424, 19, 6, "<158>1 " + iso + " - tether 4242 - - "},
		{formatPriority, 18, 6, "<150>"},
		{formatShort, 16, 6, "<6>"},
		{formatTimed, 16, 6, "<6>" + iso + " "},
		{formatISO, 16, 6, iso + " "},
		{formatRaw, 16, 6, ""},
		{formatLocal, 0, 0, "<0>" + date + " tether[4242]: "},
		{formatPriority, 23, 7, "<191>"},
		{formatShort, 23, 7, "<7>"},
	}
	for _, c := range cases {
		h := header{format: c.format, facility: c.facility, level: c.level, tag: "tether", pid: "4242"}
		if got := string(h.appendHeader(nil, now)); got != c.want {
			t.Errorf("%v facility %d level %d: got %q, want %q", c.format, c.facility, c.level, got, c.want)
		}
	}
	if date[4] != ' ' {
		t.Fatalf("day of %q not padded with a space", date)
	}
}

func TestParseFormat(t *testing.T) {
	for i, name := range formatNames {
		f, err := parseFormat(name)
		if err != nil || f != logFormat(i) || f.String() != name {
			t.Errorf("%q: %v %v", name, f, err)
		}
	}
	if f, err := parseFormat(""); err != nil || f != formatLocal {
		t.Errorf("default: %v %v", f, err)
	}
	if _, err := parseFormat("json"); !errors.Is(err, ErrFormat) {
		t.Errorf("json: %v", err)
	}
}

func TestFacilityLevelCodes(t *testing.T) {
	// The codes of RFC 5424, section 6.2.1, in HAProxy's names.
	for name, code := range map[string]int{"kern": 0, "user": 1, "daemon": 3, "auth2": 10, "cron2": 15, "local0": 16, "local7": 23} {
		if got := facilityCode(name); got != code {
			t.Errorf("facility %s: %d, want %d", name, got, code)
		}
	}
	for name, code := range map[string]int{"emerg": 0, "err": 3, "warning": 4, "info": 6, "debug": 7} {
		if got := levelCode(name); got != code {
			t.Errorf("level %s: %d, want %d", name, got, code)
		}
	}
	if facilityCode("local8") != -1 || levelCode("error") != -1 {
		t.Error("unknown names accepted")
	}
}

func TestUDPAddress(t *testing.T) {
	cases := []struct{ in, want string }{
		{"127.0.0.1", "127.0.0.1:514"},
		{"127.0.0.1:1514", "127.0.0.1:1514"},
		{"udp@127.0.0.1:1514", "127.0.0.1:1514"},
		{"ipv4@10.0.0.1", "10.0.0.1:514"},
		{"[::1]:1514", "[::1]:1514"},
		{"[::1]", "[::1]:514"},
		{"::1:", "[::1]:514"},
		{"udp6@::1:1514", "[::1]:1514"},
		{"localhost:99", "localhost:99"},
	}
	for _, c := range cases {
		got, err := udpAddress(c.in)
		if err != nil || got != c.want {
			t.Errorf("%q: got %q %v, want %q", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"ring@buf", "tcp@127.0.0.1:514", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:x", ":514", "[::1", "", "]0", "a b:514", "[1.2.3.4]:x"} {
		if got, err := udpAddress(in); !errors.Is(err, ErrAddress) {
			t.Errorf("%q: got %q %v, want ErrAddress", in, got, err)
		}
	}
}

func TestOpenTargetLevels(t *testing.T) {
	o := Options{Tag: "tether", PID: 1, Stdout: discard{}, Stderr: discard{}}
	cases := []struct {
		max, min string
		open     bool
		level    int
	}{
		{"", "", true, 6},
		{"info", "", true, 6},
		{"debug", "", true, 6},
		{"notice", "", false, 0},
		{"err", "", false, 0},
		{"debug", "debug", true, 7}, // info is more severe than debug: capped to debug
		{"debug", "err", true, 6},
	}
	for _, c := range cases {
		tg, err := openTarget(config.LogTarget{Address: "stdout", Facility: "local0", Level: c.max, MinLevel: c.min}, &o)
		if err != nil {
			t.Fatal(err)
		}
		if (tg != nil) != c.open || (tg != nil && max(levelInfo, tg.minLevel) != c.level) {
			t.Errorf("max %q min %q: target %+v", c.max, c.min, tg)
		}
	}
	for _, lt := range []config.LogTarget{
		{Address: "stdout", Facility: "local9"},
		{Address: "stdout", Facility: "local0", Level: "loud"},
		{Address: "stdout", Facility: "local0", MinLevel: "loud"},
		{Address: "stdout", Facility: "local0", Format: "json"},
		{Address: "ring@buf", Facility: "local0"},
		{Address: "fd@3", Facility: "local0"},
	} {
		if _, err := openTarget(lt, &o); err == nil {
			t.Errorf("%+v accepted", lt)
		}
	}
}

// discard is a writer that drops everything.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
