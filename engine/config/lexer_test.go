package config

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitLine(t *testing.T) {
	env := map[string]string{"P": "abc", "Q": "1 2", "EMPTY": ""}
	place := &lexPlace{file: "f.cfg", line: 7, section: "web", getenv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}}
	tests := []struct {
		line string
		want []string
	}{
		{"", nil},
		{"   \t ", nil},
		{"# only a comment", nil},
		{"  bind :80   # trailing", []string{"bind", ":80"}},
		{"global#this is the global section", []string{"global"}},
		{"a\tb  c", []string{"a", "b", "c"}},
		{`a\ b`, []string{"a b"}},
		{`a\#b`, []string{"a#b"}},
		{`a\\b`, []string{`a\b`}},
		{`a\'b`, []string{"a'b"}},
		{`a\"b`, []string{`a"b`}},
		{`a\$b`, []string{"a$b"}},
		{`\r\n\t`, []string{"\r\n\t"}},
		{`\x41\x7a`, []string{"Az"}},
		{`a\x00b c`, []string{"a", "c"}},
		{"a\rb c", []string{"a"}},
		{"a \"b\" \r", []string{"a", "b"}},
		{`a\qb`, []string{`a\qb`}},
		{`end\`, []string{`end\`}},
		{`'a b # $P \n'`, []string{`a b # $P \n`}},
		{`"a b # c"`, []string{"a b # c"}},
		{`"a'b"`, []string{"a'b"}},
		{`'a"b'`, []string{`a"b`}},
		{`"a"'b'c`, []string{"abc"}},
		{`"" x`, []string{"", "x"}},
		{`''`, []string{""}},
		{`$P "$P" "${P}"`, []string{"$P", "abc", "abc"}},
		{`"x${P}y"`, []string{"xabcy"}},
		{`"$P.x"`, []string{"abc.x"}},
		{`"${NOPE}"`, []string{""}},
		{`"${NOPE-def val}"`, []string{"def val"}},
		{`"${EMPTY-def}"`, []string{""}},
		{`"${P-def}"`, []string{"abc"}},
		{`"${Q}"`, []string{"1 2"}},
		{`"a:${Q[*]}" z`, []string{"a:1", "2", "z"}},
		{`"\$P"`, []string{"$P"}},
		{`"${.FILE}:${.LINE}:${.SECTION}"`, []string{"f.cfg:7:web"}},
		{`"\x41"`, []string{"A"}},
		{`"a\"b"`, []string{`a"b`}},
	}
	for _, tt := range tests {
		got, err := splitLine(tt.line, place)
		if err != nil {
			t.Errorf("splitLine(%q): %v", tt.line, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("splitLine(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestSplitLineErrors(t *testing.T) {
	place := &lexPlace{getenv: func(string) (string, bool) { return "", false }}
	tests := []struct {
		line string
		pos  int
		msg  string
	}{
		{`  bind 127.0.0.1:80"`, 20, "unmatched quote"},
		{`  bind 127.0.0.1:80'`, 20, "unmatched quote"},
		{`a "b`, 3, "unmatched quote"},
		{`  bind "127.0.0.1:$"`, 20, "forbidden first char in environment variable name"},
		{`"$1"`, 3, "forbidden first char in environment variable name"},
		{`"${P"`, 3, "unmatched brace in environment variable name"},
		{`"${P-x"`, 3, "unmatched brace in environment variable name"},
		{`  bind 127.0.0.1:80 \x4`, 21, "truncated or invalid hexadecimal sequence"},
		{`\xg0`, 1, "truncated or invalid hexadecimal sequence"},
		{"a \"b\rc\"", 3, "unmatched quote"},
	}
	for _, tt := range tests {
		_, err := splitLine(tt.line, place)
		if err == nil {
			t.Errorf("splitLine(%q): no error", tt.line)
			continue
		}
		if err.pos != tt.pos || err.msg != tt.msg {
			t.Errorf("splitLine(%q) = %d %q, want %d %q", tt.line, err.pos, err.msg, tt.pos, tt.msg)
		}
	}
}

func TestLexErrorIsAlertWithLine(t *testing.T) {
	text := header + "backend be\n    server s1 \"127.0.0.1:1\n"
	expectDiag(t, text, Alert, lineOf(text, "server s1"), "unmatched quote at position 15")
}

func TestEmptyWordEndsArguments(t *testing.T) {
	text := header + "backend be\n    cookie \"\" insert\n"
	expectDiag(t, text, Alert, lineOf(text, "cookie"), "'cookie' expects <cookie_name> as argument.")
}

func TestEnvironmentExpansion(t *testing.T) {
	t.Setenv("TETHER_TEST_PORT", "19001")
	t.Setenv("TETHER_TEST_KEY", "k e y")
	be := backend(t, "    dynamic-cookie-key \"$TETHER_TEST_KEY\"\n    server s1 \"127.0.0.1:${TETHER_TEST_PORT}\"\n")
	if be.DynamicCookieKey != "k e y" {
		t.Errorf("key %q", be.DynamicCookieKey)
	}
	if be.Servers[0].Addr.Port != 19001 {
		t.Errorf("port %d", be.Servers[0].Addr.Port)
	}
}

func TestCRLFLines(t *testing.T) {
	be := backend(t, "    server s1 127.0.0.1:19001\r\n    server s2 127.0.0.1:19002\r\n")
	if len(be.Servers) != 2 || be.Servers[1].Addr.Port != 19002 {
		t.Fatalf("servers %+v", be.Servers)
	}
}

func TestTooManyWords(t *testing.T) {
	words := strings.Repeat(" /p", 61)
	ok := header + "backend be\n    acl a path" + words + "\n"
	noDiag(t, ok, Alert)
	bad := header + "backend be\n    acl a path" + words + " /q\n"
	expectDiag(t, bad, Alert, lineOf(bad, "acl a"), "too many words, truncating after word 64: </p>.")
}

// TestTruncatedFile: HAProxy reads lines as C strings and refuses a last
// line without LF, or a NUL byte, as a truncated file.
func TestTruncatedFile(t *testing.T) {
	text := header + "backend be\n    server s1 127.0.0.1:1"
	expectDiag(t, text, Alert, lineOf(text, "server s1"), "Missing LF on last line, file might have been truncated at position 26.")
	text = header + "backend be\n    server s1 127.0.0.1:1 cookie a\x00b\n    server s2 127.0.0.1:2\n"
	_, diags := parse(t, text)
	if len(diags) != 1 || diags[0].Line != lineOf(text, "server s1") || diags[0].Message != "Missing LF on last line, file might have been truncated at position 35." {
		t.Errorf("NUL byte:\n%s", dump(diags))
	}
	noDiag(t, header+"backend be\n", Alert)
}
