package engine

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseAgentReply(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want agentReply
	}{
		{"up\n", true, agentReply{health: "up"}},
		{"UP\r\n", true, agentReply{health: "UP"}},
		{"75%,drain\tmaxconn:30\n", true, agentReply{weight: "75%", admin: "drain", maxconn: "30", hasMax: true}},
		{"down # going away for a while \n", true, agentReply{health: "down", desc: "going away for a while "}},
		{"stopped up fail\n", true, agentReply{health: "fail"}},
		{"ready maint 10% 20%\n", true, agentReply{admin: "maint", weight: "20%"}},
		{"what ever up\n", true, agentReply{health: "up", bad: "what", hasBad: true}},
		{"a#b up\n", true, agentReply{health: "up", bad: "a#b", hasBad: true}},
		{"x%\n", true, agentReply{bad: "x%", hasBad: true}},
		{"MaxConn:\n", true, agentReply{hasMax: true}},
		{"#\n", true, agentReply{}},
		{"\n", true, agentReply{}},
		{"up", false, agentReply{}},
		{"", false, agentReply{}},
		{"up\x00down\n", true, agentReply{health: "up"}},
	}
	for _, tt := range tests {
		got, ok := parseAgentReply([]byte(tt.in))
		if ok != tt.ok || got != tt.want {
			t.Errorf("%q: %+v %v, want %+v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestAgentWeight(t *testing.T) {
	tests := []struct {
		in      string
		iw      int
		dynamic bool
		w       int
		msg     string
	}{
		{"50%", 10, true, 5, ""},
		{"300%", 20, true, 60, ""},
		{"100%", 200, true, 200, ""},
		{"200%", 200, true, 256, ""},
		{"0%", 10, false, 0, ""},
		{"100%", 10, false, 10, ""},
		{"50%", 10, false, 0, "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n"},
		{"7%x", 10, true, 0, "Trailing garbage in weight string"},
		{"300%x", 10, true, 0, "Absolute weight can only be between 0 and 256 inclusive.\n"},
		{"-5%", 10, true, 0, "Relative weight must be positive.\n"},
		{"x", 10, true, 0, "Empty weight string empty or preceded by garbage"},
	}
	for _, tt := range tests {
		w, msg := agentWeight(tt.in, tt.iw, tt.dynamic)
		if w != tt.w || msg != tt.msg {
			t.Errorf("%q of %d: %d %q, want %d %q", tt.in, tt.iw, w, msg, tt.w, tt.msg)
		}
	}
	for _, tt := range []struct {
		in  string
		v   int64
		msg string
	}{
		{"30", 30, ""}, {"", 0, "Require <maxconn>.\n"}, {"x", 0, "maxconn string empty or preceded by garbage"},
		{"3x", 0, "Trailing garbage in maxconn string"}, {"-1", -1, ""},
	} {
		v, msg := agentMaxConn(tt.in)
		if v != tt.v || msg != tt.msg {
			t.Errorf("maxconn %q: %d %q, want %d %q", tt.in, v, msg, tt.v, tt.msg)
		}
	}
}

// FuzzParseAgentReply checks that any answer parses into words taken
// from its first line, whatever their case, and that bytes after the line
// end change nothing.
func FuzzParseAgentReply(f *testing.F) {
	for _, s := range []string{"up\n", "75% drain maxconn:10 # why\r\n", "down,fail\tstopped\n", "x%y 1%%\n", "#\n", "up"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, ok := parseAgentReply(b)
		if !ok {
			if strings.ContainsAny(string(b), "\r\n") {
				t.Fatalf("%q: a line end was missed", b)
			}
			return
		}
		end := strings.IndexAny(string(b), "\r\n")
		line := string(b[:end])
		for _, w := range []string{r.health, r.admin, r.weight, r.bad} {
			if w != "" && !strings.Contains(line, w) {
				t.Fatalf("%q: word %q not in the line", b, w)
			}
		}
		if r.health != "" && !strings.Contains("up down stopped fail", strings.ToLower(r.health)) {
			t.Fatalf("%q: health %q", b, r.health)
		}
		if r.weight != "" && (r.weight[0] < '0' || r.weight[0] > '9' || !strings.Contains(r.weight, "%")) {
			t.Fatalf("%q: weight %q", b, r.weight)
		}
		again, ok2 := parseAgentReply(append([]byte(line+"\n"), "maint 1% up #x\n"...))
		if !ok2 || again != r {
			t.Fatalf("%q: %+v, then %+v after the line", b, r, again)
		}
		if w, msg := agentWeight(r.weight, 100, true); msg == "" && (w < 0 || w > 256) {
			t.Fatalf("%q: weight %d", b, w)
		}
	})
}

// TestAgentCheck runs an engine whose server has a health check that
// passes and an agent on 127.0.0.1 whose answer the test changes: the
// agent's weight, drain, down and up reach the server, and `disable
// agent` lets the health check bring it back while the agent says down.
func TestAgentCheck(t *testing.T) {
	var reply atomic.Pointer[string]
	set := func(s string) { reply.Store(&s) }
	set("up 50%\n")
	agent := checkOrigin(t, func(c net.Conn, br *bufio.Reader) { _, _ = io.WriteString(c, *reply.Load()) })
	healthy := checkOrigin(t, func(c net.Conn, br *bufio.Reader) {})
	e, _ := startEngine(t, fmt.Sprintf(`defaults
  mode http
  timeout connect 1s
  timeout client 1s
  timeout server 1s
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  server s %s check inter 50ms rise 1 fall 1 weight 20 agent-check agent-addr %s agent-port %d agent-inter 50ms
`, freePort(), healthy, agent.Addr(), agent.Port()))
	wait := func(what string, ok func(si ServerInfo) bool) {
		t.Helper()
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if si := e.Backends()[0].Servers[0]; ok(si) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("never %s: %+v", what, e.Backends()[0].Servers[0])
			}
		}
	}
	wait("at half weight", func(si ServerInfo) bool {
		return si.Weight == 10 && si.Agent.Report.Status == CheckL7OK && si.Agent.Report.Desc == "via agent : up"
	})
	set("drain maxconn:3\n")
	wait("drained", func(si ServerInfo) bool { return si.Admin&AdminFDrain != 0 && si.MaxConn == 3 })
	set("ready down # upgrade\n")
	wait("down", func(si ServerInfo) bool {
		return si.Op == OpStopped && si.Admin&AdminFDrain == 0 && si.Agent.Health == 0 &&
			si.Agent.Report.Status == CheckL7Sts && si.Agent.Report.Desc == "via agent : down (upgrade)"
	})
	if err := e.SetAgentCheck("be", "s", false); err != nil {
		t.Fatal(err)
	}
	wait("up by its health check", func(si ServerInfo) bool { return si.Op == OpRunning && !si.Agent.On() })
	if err := e.SetAgentHealth("be", "s", false); err != ErrAgentDisabled {
		t.Errorf("agent down while disabled: %v", err)
	}
	if err := e.SetAgentCheck("be", "s", true); err != nil {
		t.Fatal(err)
	}
	wait("down again", func(si ServerInfo) bool { return si.Op == OpStopped && si.Agent.On() })
	set("up\n")
	wait("up", func(si ServerInfo) bool { return si.Op == OpRunning && si.Agent.Health == 1 })
}
