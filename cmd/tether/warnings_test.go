package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStartWarnings checks configurations with `-c` as haproxy 2.6 does
// with `quiet` and `zero-warning`: the exit status, whether the warnings
// are printed, and whether start is refused for them.
func TestStartWarnings(t *testing.T) {
	hap, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not on PATH: no differential test against HAProxy 2.6")
	}
	dir := t.TempDir()
	bin := buildTether(t, dir)
	// fullconn in a frontend is warned about and ignored, by both.
	rest := "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n" +
		"frontend f\n  bind 127.0.0.1:" + strconv.Itoa(freePort(t)) + "\n  fullconn 10\n  default_backend be\nbackend be\n  server a 127.0.0.1:1\n"
	for _, global := range []string{"", "  quiet\n", "  zero-warning\n", "  quiet\n  zero-warning\n"} {
		path := filepath.Join(dir, "w.cfg")
		if err := os.WriteFile(path, []byte("global\n"+global+rest), 0o644); err != nil {
			t.Fatal(err)
		}
		outcome := func(name string, args ...string) string {
			out, err := exec.Command(name, args...).CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			return "exit " + strconv.Itoa(code) +
				", warned " + yesNo(strings.Contains(string(out), "'fullconn' ignored")) +
				", aborted " + yesNo(strings.Contains(string(out), "'zero-warning' is set. Aborting."))
		}
		want, got := outcome(hap, "-c", "-f", path), outcome(bin, "-c", "-f", path)
		if got != want {
			t.Errorf("global %q: tether %s; haproxy %s", global, got, want)
		}
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
