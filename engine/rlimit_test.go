package engine

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestMaxConnFor(t *testing.T) {
	for _, tc := range []struct {
		nofile uint64
		want   int
	}{{1 << 20, (1<<20 - fdReserve) / 2}, {1024, (1024 - fdReserve) / 2}, {256, 64}, {2, 1}} {
		if got := MaxConnFor(tc.nofile); got != tc.want {
			t.Errorf("MaxConnFor(%d) = %d, want %d", tc.nofile, got, tc.want)
		}
		if b := fdBudget(tc.nofile); b < int64(2*MaxConnFor(tc.nofile)) && tc.nofile > 2*fdReserve {
			t.Errorf("budget %d cannot hold %d proxied connections", b, MaxConnFor(tc.nofile))
		}
	}
}

func TestRaiseNoFile(t *testing.T) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	got, err := RaiseNoFile()
	if err != nil {
		t.Fatal(err)
	}
	if got != rl.Max {
		t.Errorf("soft limit %d after RaiseNoFile, want the hard limit %d", got, rl.Max)
	}
}
