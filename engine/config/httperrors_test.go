package config

import (
	"strings"
	"testing"
)

// TestHTTPErrors resolves `errorfiles` against http-errors sections
// declared after the proxies: the last line setting a status wins, whether
// an errorfile or an import, a list of statuses limits the import, and a
// defaults section's imports reach its proxies.
func TestHTTPErrors(t *testing.T) {
	dir := t.TempDir()
	file := func(name, status string) string {
		return writeFile(t, dir, name, "HTTP/1.1 "+status+"\r\nContent-Length: 0\r\n\r\n")
	}
	site503, site504 := file("s503", "503 Site"), file("s504", "504 Site")
	other503, own503 := file("o503", "503 Other"), file("own503", "503 Own")
	cfg := mustParse(t, strings.Replace(header, "timeout connect 2s\n", "timeout connect 2s\n    errorfiles site 504\n", 1)+`backend be
    errorfiles site
backend after
    errorfiles site
    errorfile 503 `+own503+`
backend before
    errorfile 503 `+own503+`
    errorfiles site
backend listed
    errorfiles other 503
    errorfiles site 504
backend two
    errorfiles site
    errorfiles other
backend plain
http-errors site
    errorfile 503 `+site503+`
    errorfile 504 `+site504+`
http-errors other
    errorfile 503 `+other503+`
`)
	head := func(name string, code int) string {
		if f := cfg.Backend(name).ErrorFile(code); f != nil {
			return string(f.Head)
		}
		return "none"
	}
	tests := []struct {
		backend string
		code    int
		want    string
	}{
		{"be", 503, "HTTP/1.1 503 Site\r\ncontent-length: 0\r\n"},
		{"be", 504, "HTTP/1.1 504 Site\r\ncontent-length: 0\r\n"},
		{"after", 503, "HTTP/1.1 503 Own\r\ncontent-length: 0\r\n"},
		{"before", 503, "HTTP/1.1 503 Site\r\ncontent-length: 0\r\n"},
		{"listed", 503, "HTTP/1.1 503 Other\r\ncontent-length: 0\r\n"},
		{"listed", 504, "HTTP/1.1 504 Site\r\ncontent-length: 0\r\n"},
		{"two", 503, "HTTP/1.1 503 Other\r\ncontent-length: 0\r\n"},
		{"two", 504, "HTTP/1.1 504 Site\r\ncontent-length: 0\r\n"},
		{"plain", 503, "none"},
		{"plain", 504, "HTTP/1.1 504 Site\r\ncontent-length: 0\r\n"},
	}
	for _, tt := range tests {
		if got := head(tt.backend, tt.code); got != tt.want {
			t.Errorf("%s %d: %q, want %q", tt.backend, tt.code, got, tt.want)
		}
	}
}

// TestHTTPErrorsDiagnostics checks the alerts and warnings of http-errors
// sections and `errorfiles` lines, with haproxy 2.6's messages, at the
// line they are about.
func TestHTTPErrorsDiagnostics(t *testing.T) {
	dir := t.TempDir()
	f503 := writeFile(t, dir, "503.http", "HTTP/1.1 503 X\r\nContent-Length: 0\r\n\r\n")
	tests := []diagCase{
		{"backend be\nhttp-errors\n", "http-errors", Alert, "missing name for http-errors section."},
		{"backend be\nhttp-errors s\nhttp-errors s\n", "http-errors s", Alert, "http-errors section 's' already exists (declared at t.cfg:"},
		{"backend be\nhttp-errors s\n    errorloc 503 /x\n", "errorloc", Alert, "unknown keyword 'errorloc' in 'http-errors' section"},
		{"backend be\nhttp-errors s\n    errorfile 503\n", "errorfile", Alert, "expects <status_code> and <file> as arguments."},
		{"backend be\nhttp-errors s\n    errorfile 999 " + f503 + "\n", "errorfile", Alert, "status code '999' not handled."},
		{"backend be\nhttp-errors s\n    errorfile 503 " + dir + "/none\n", "errorfile", Alert, "error opening file '" + dir + "/none'."},
		{"backend be\n    errorfiles\n", "errorfiles", Alert, "expects <name> as argument."},
		{"backend be\n    errorfiles s 503 x\nhttp-errors s\n", "errorfiles", Alert, "status code '0' not handled."},
		{"backend be\n    errorfiles nope\n", "errorfiles", Alert, "proxy 'be': unknown http-errors section 'nope'."},
		{"backend be\n    errorfiles s 503 504\nhttp-errors s\n    errorfile 503 " + f503 + "\n", "errorfiles", Warning, "proxy 'be' : status '504' not declared in http-errors section 's'."},
		{"backend be\n    errorfiles s 503\nhttp-errors s\n    errorfile 503 " + f503 + "\n", "", Warning, ""},
		{"backend be\n    http-error\n", "http-error", Alert, "http-error : expects at least a <status> as arguments."},
		{"backend be\n    http-error status\n", "http-error", Alert, "http-error : 'status' expects <status_code> as argument"},
		{"backend be\n    http-error status 999\n", "http-error", Alert, "http-error : Unexpected status code '999'"},
		{"backend be\n    http-error status 302\n", "http-error", Alert, "http-error: status code '302' not handled."},
		{"backend be\n    http-error status 503 file " + dir + "/none\n", "http-error", Alert, "http-error : error opening file '" + dir + "/none'."},
		{"backend be\n    http-error status 503 string x\n", "http-error", Alert, "a content type must be defined when non-empty payload is configured."},
		{"backend be\n    http-error status 503 content-type text/plain lf-string %[path]\n", "http-error", Alert, "log-format values in 'http-error' is not supported yet by tether"},
	}
	checkDiags(t, tests)
}
