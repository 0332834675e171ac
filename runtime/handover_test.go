package runtime

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"tether/engine"
)

// TestGetSocks takes the listening sockets over from an engine through a
// unix stats socket with `expose-fd listeners`, as a new process does on
// reload, and checks that other sockets close without a reply, as HAProxy
// does.
func TestGetSocks(t *testing.T) {
	t.Parallel()
	o := startOrigin(t, "s1")
	dir := t.TempDir()
	exposed, plain := filepath.Join(dir, "exposed.sock"), filepath.Join(dir, "plain.sock")
	p := freePorts(t, 2)
	tt := startTether(t, fmt.Sprintf(`global
    stats socket %s level admin expose-fd listeners
    stats socket %s level admin
    stats socket ipv4@127.0.0.1:%d level admin
`+testDefaults+`frontend fe
    bind 127.0.0.1:%d
    default_backend bk
backend bk
    server s1 %s
`, exposed, plain, p[0], p[1], o.addr))

	for _, addr := range []string{plain, tt.socket(2)} {
		network := "unix"
		if addr != plain {
			network = "tcp"
		}
		if got := exchange(t, network, addr, "_getsocks\n"); got != "" {
			t.Errorf("_getsocks on %s: %q, want no reply", addr, got)
		}
	}
	if got := exchange(t, "unix", exposed, "show cli level\n"); got != "admin\n\n" {
		t.Errorf("expose-fd socket serves commands: %q", got)
	}
	if got := exchange(t, "unix", exposed, "help\n"); strings.Contains(got, "_getsocks") {
		t.Errorf("help lists _getsocks:\n%s", got)
	}

	c := dial(t, "unix", exposed)
	if _, err := io.WriteString(c, "_getsocks\n"); err != nil {
		t.Fatal(err)
	}
	files, err := engine.ReceiveListeners(c.(*net.UnixConn))
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("127.0.0.1:%d", p[1])
	f := files[name]
	if len(files) != 1 || f == nil {
		t.Fatalf("received %v, want the one listener %s", files, name)
	}
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if ln.Addr().String() != tt.front {
		t.Fatalf("received a listener on %s, want %s", ln.Addr(), tt.front)
	}
}
