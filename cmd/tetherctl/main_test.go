package main

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"tether/runtime"
)

// oneBackend is a Control with one backend "bk" holding server "s1"; it
// accepts every change. It only gives the sockets something to answer.
type oneBackend struct{}

func (oneBackend) Backends() []runtime.BackendView {
	return []runtime.BackendView{{ID: 2, Name: "bk", DynamicLB: true, Servers: []runtime.ServerView{
		{ID: 1, Name: "s1", Addr: netip.MustParseAddr("127.0.0.1"), Port: 80, UWeight: 1, IWeight: 1},
	}}}
}
func (oneBackend) Info() runtime.Info                                               { return runtime.Info{} }
func (oneBackend) Stats() []runtime.StatRow                                         { return nil }
func (oneBackend) SetDynamicCookie(string, bool) error                              { return nil }
func (oneBackend) SetDynamicCookieKey(string, string) error                         { return nil }
func (oneBackend) SetServerAdmin(string, string, runtime.AdminState) error          { return nil }
func (oneBackend) SetServerHealth(string, string, runtime.Health) error             { return nil }
func (oneBackend) SetServerWeight(string, string, int) error                        { return nil }
func (oneBackend) SetServerAddr(string, string, runtime.AddrChange) error           { return nil }
func (oneBackend) SetHealthCheck(string, string, bool) error                        { return nil }
func (oneBackend) SetCheckTarget(string, string, netip.Addr, bool, int, bool) error { return nil }
func (oneBackend) AddServer(string, string, []string) error                         { return nil }
func (oneBackend) DelServer(string, string) error                                   { return nil }
func (oneBackend) ShutdownSessions(string, string) error                            { return nil }
func (oneBackend) PauseFrontend(string) error                                       { return nil }
func (oneBackend) ResumeFrontend(string) error                                      { return nil }
func (oneBackend) StopFrontend(string) error                                        { return nil }
func (oneBackend) ClearCounters(bool)                                               {}
func (oneBackend) SetFrontendMaxConn(string, int) error                             { return nil }
func (oneBackend) SetServerMaxConn(string, string, int) error                       { return nil }
func (oneBackend) SetGlobalMaxConn(int) error                                       { return nil }

// TestFleet runs the built tetherctl against two sockets, a TCP one at admin
// level and a unix one at operator level.
func TestFleet(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "tetherctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	tcpSpec, _ := runtime.NewSocketSpec("ipv4@127.0.0.1:0")
	tcpSpec.Level = runtime.LevelAdmin
	a, err := runtime.Listen(tcpSpec, oneBackend{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	sock := filepath.Join(dir, "b.sock")
	unixSpec, _ := runtime.NewSocketSpec(sock)
	b, err := runtime.Listen(unixSpec, oneBackend{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	A, B := "ipv4@"+a.Addr().String(), sock

	script := filepath.Join(dir, "script")
	os.WriteFile(script, []byte("# levels\nshow cli level\n\nget weight bk/s1\n"), 0o644)

	cases := []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string
	}{
		{"args", []string{"-s", A, "-s", B, "show", "cli", "level"}, "", 0,
			A + ": admin\n" + B + ": operator\n"},
		{"one target has no prefix", []string{"-s", B, "show backend"}, "", 0, "# name\nbk\n"},
		{"error reply on one", []string{"-s", A, "-s", B, "set server bk/s1 state drain"}, "", 1,
			B + ": Permission denied\n"},
		{"error reply on both", []string{"-s", A, "-s", B, "get weight bk/nope"}, "", 1,
			A + ": No such server.\n" + B + ": No such server.\n"},
		{"stdin", []string{"-s", A, "-s", B, "-"}, "show cli level\nset weight bk/s1 2\n", 1,
			A + ": admin\n" + B + ": operator\n" + B + ": Permission denied\n"},
		{"file", []string{"-s", A, "-s", B, "-f", script}, "", 0,
			A + ": admin\n" + B + ": operator\n" + A + ": 1 (initial 1)\n" + B + ": 1 (initial 1)\n"},
		{"unreachable", []string{"-s", A, "-s", filepath.Join(dir, "none.sock"), "show cli level"}, "", 2,
			A + ": admin\n" + filepath.Join(dir, "none.sock") + ": error: "},
		{"usage", []string{"show", "info"}, "", 2, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(bin, c.args...)
			cmd.Stdin = strings.NewReader(c.stdin)
			var out bytes.Buffer
			cmd.Stdout = &out
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != c.code || !strings.HasPrefix(out.String(), c.out) {
				t.Errorf("exit %d, output %q; want %d, %q", code, out.String(), c.code, c.out)
			}
		})
	}
}
