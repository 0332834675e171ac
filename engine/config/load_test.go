package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadFilesAndDirectory(t *testing.T) {
	dir := t.TempDir()
	first := writeFile(t, dir, "first.cfg", header)
	conf := filepath.Join(dir, "conf.d")
	if err := os.Mkdir(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, conf, "20-b.cfg", "backend b\n    server s1 127.0.0.1:2\n")
	writeFile(t, conf, "10-be.cfg", "backend be\n    server s1 127.0.0.1:1\n")
	writeFile(t, conf, "ignored.txt", "this is not a configuration\n")
	cfg, err := Load(first, conf)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{first, filepath.Join(conf, "10-be.cfg"), filepath.Join(conf, "20-b.cfg")}
	if strings.Join(cfg.Files, ",") != strings.Join(want, ",") {
		t.Errorf("files %v want %v", cfg.Files, want)
	}
	if len(cfg.Proxies) != 3 || cfg.Proxies[1].Name != "be" || cfg.Proxies[2].Name != "b" {
		t.Errorf("proxies in load order: %v", cfg.Proxies)
	}
	if cfg.Proxies[2].File != want[2] || cfg.Proxies[2].Line != 1 {
		t.Errorf("place of b: %s:%d", cfg.Proxies[2].File, cfg.Proxies[2].Line)
	}
	// Defaults carry across files; sections do not.
	if cfg.Proxies[2].Timeouts.Server == 0 {
		t.Error("defaults of the first file not applied in the third")
	}
}

// TestEachFileStartsOutsideSections: a file cannot continue the section
// the previous one ended with.
func TestEachFileStartsOutsideSections(t *testing.T) {
	_, err := Parse(File{Name: "a.cfg", Data: []byte(header + "backend be\n")}, File{Name: "b.cfg", Data: []byte("    server s1 127.0.0.1:1\n")})
	var e *Error
	if !errors.As(err, &e) || e.Diags[0].File != "b.cfg" || e.Diags[0].Line != 1 || !strings.Contains(e.Diags[0].Message, "out of section") {
		t.Fatalf("err %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.cfg")
	_, err := Load(missing)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "Could not open configuration file "+missing+" : no such file or directory") {
		t.Fatalf("err %v", err)
	}
}

func TestDiagFormat(t *testing.T) {
	tests := []struct {
		d    Diag
		want string
	}{
		{Diag{Severity: Alert, File: "site.cfg", Line: 12, Section: "backend 'web'", Keyword: "cookie", Message: "m."},
			"[ALERT] parsing [site.cfg:12] : 'cookie' in backend 'web': m."},
		{Diag{Severity: Warning, File: "site.cfg", Line: 3, Section: "global", Keyword: "daemon", Message: "w."},
			"[WARNING] parsing [site.cfg:3] : 'daemon' in global: w."},
		{Diag{Severity: Alert, File: "site.cfg", Line: 1, Message: "unknown keyword 'x' out of section."},
			"[ALERT] parsing [site.cfg:1] : unknown keyword 'x' out of section."},
		{Diag{Severity: Alert, File: "site.cfg", Line: 4, Section: "frontend 'f'", Message: "m"},
			"[ALERT] parsing [site.cfg:4] : frontend 'f': m"},
		{Diag{Severity: Alert, Message: "Could not open configuration file x : no such file or directory"},
			"[ALERT] Could not open configuration file x : no such file or directory"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}

func TestErrorSummary(t *testing.T) {
	_, err := Parse(File{Name: "t.cfg", Data: []byte(header + "backend be\n    foo\n    bar\n")})
	if err == nil || err.Error() != "config: [ALERT] parsing [t.cfg:12] : 'foo' in backend 'be': unknown keyword 'foo' in 'backend' section (and 1 more alerts)" {
		t.Errorf("err %v", err)
	}
}

// TestDiagnosticsNameTheirPlace: every diagnostic of a broken configuration
// names its file, line, section and keyword.
func TestDiagnosticsNameTheirPlace(t *testing.T) {
	text := header + "backend be\n    cookie SRV rewrite indirect\n    server s1 127.0.0.1:1 weight 999\n    timeout server 5q\n"
	_, diags := parse(t, text)
	if len(diags) != 3 {
		t.Fatalf("%d diagnostics:\n%s", len(diags), dump(diags))
	}
	wantKw := []string{"cookie", "server be/s1", "timeout server"}
	wantLine := []int{lineOf(text, "rewrite"), lineOf(text, "weight"), lineOf(text, "5q")}
	for i, d := range diags {
		if d.File != "t.cfg" || d.Line != wantLine[i] || d.Section != "backend 'be'" || d.Keyword != wantKw[i] {
			t.Errorf("diag %d: %+v", i, d)
		}
	}
}
