package config_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tether/engine/config"
)

// exitCode runs a command with a bound on its run time and returns its exit
// status.
func exitCode(t *testing.T, name string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("%s %v: %v", name, args, err)
	return -1, ""
}

// tetherBinary returns $TETHER_BIN or builds cmd/tether into a temporary
// directory.
func tetherBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("TETHER_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "tether")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "tether/cmd/tether")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestDiffCheck runs `tether -c` and `haproxy -c` over every configuration
// of testdata/diff and requires both to agree on accepting (exit 0) or
// refusing (exit 1) it, or on a valid configuration without a listener
// (exit 2).
func TestDiffCheck(t *testing.T) {
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy is not on PATH; install haproxy 2.6 to run the differential check of testdata/diff")
	}
	files := corpus(t)
	tether := tetherBinary(t)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			got, out := exitCode(t, tether, "-c", "-f", f)
			want, hout := exitCode(t, haproxy, "-c", "-f", f)
			if got != want {
				t.Errorf("tether -c exit %d, haproxy -c exit %d\nhaproxy:\n%s\ntether:\n%s", got, want, hout, out)
			}
		})
	}
}

// TestCheckCorpus loads every configuration of testdata/diff in process: a
// file named ok-* must load, nolisten-* must load without a listener (tether
// -c exits 2, as haproxy does) and bad-* must fail with ErrInvalid.
func TestCheckCorpus(t *testing.T) {
	for _, f := range corpus(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, err := config.Load(f)
			bad := strings.HasPrefix(filepath.Base(f), "bad-")
			switch {
			case bad && !errors.Is(err, config.ErrInvalid):
				t.Errorf("loaded without alerts, want ErrInvalid (err %v)", err)
			case !bad && err != nil:
				t.Errorf("unexpected error: %v", err)
			case !bad && cfg.HasListener() != strings.HasPrefix(filepath.Base(f), "ok-"):
				t.Errorf("HasListener %v", cfg.HasListener())
			}
		})
	}
}

// corpus lists the differential corpus.
func corpus(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/diff/*.cfg")
	if err != nil || len(files) < 40 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	return files
}
