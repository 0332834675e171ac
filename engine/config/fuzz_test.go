package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to the lexer and the parser: they must not
// panic, and every diagnostic must carry a line number within the text.
func FuzzParse(f *testing.F) {
	f.Add([]byte(header + "backend be\n    cookie SRV insert indirect nocache\n    server s1 127.0.0.1:1 cookie a\n"))
	f.Add([]byte("global\n    stats socket ipv4@127.0.0.1:9999 level admin\n"))
	f.Add([]byte("backend be\n    use-server s1 if { path_beg /a } || !{ src 10.0.0.0/8 }\n"))
	f.Add([]byte("frontend f\n    bind \"${X-127.0.0.1}:80\" # c\n    bind '\\x41' \\x4"))
	f.Add([]byte("defaults\n    log 127.0.0.1:514 len 2000 format raw sample 1-2,5:6 local0 info err\n"))
	files, _ := filepath.Glob("testdata/diff/*.cfg")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := strings.Count(string(data), "\n") + 1
		cfg, err := Parse(File{Name: "fuzz.cfg", Data: data})
		var diags []Diag
		switch {
		case err == nil:
			diags = cfg.Warnings
		default:
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %T %v", err, err)
			}
			diags = e.Diags
			if len(diags) == 0 {
				t.Fatal("error without diagnostics")
			}
		}
		for _, d := range diags {
			if d.File != "fuzz.cfg" || d.Line < 1 || d.Line > lines {
				t.Fatalf("diagnostic outside the text (%d lines): %+v", lines, d)
			}
		}
	})
}

// FuzzParseListenAddr feeds arbitrary addresses to ParseListenAddr: it must
// not panic, it refuses with ErrAddr, and what it accepts is consistent: a
// TCP address of the family its network names (never IPv4-mapped), or a
// unix path.
func FuzzParseListenAddr(f *testing.F) {
	for _, s := range []string{"*:80", ":::443", "ipv6@::1:0", "[::ffff:10.0.0.1]:80", "unix@/t.sock", "/t", "abns@x", "1.2.3.4:80-81", "[fe80::1%lo]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseListenAddr(s)
		if err != nil {
			if !errors.Is(err, ErrAddr) {
				t.Fatalf("%q: error %v is not ErrAddr", s, err)
			}
			return
		}
		ip := a.Addr.Addr()
		ok := a.Name == s
		switch a.Network {
		case NetUnix:
			ok = ok && a.Path != "" && !a.Addr.IsValid()
		case NetTCP4:
			ok = ok && a.Path == "" && ip.Is4()
		case NetTCP6:
			ok = ok && a.Path == "" && ip.Is6() && !ip.Is4In6() && ip.Zone() == ""
		default:
			ok = false
		}
		if !ok {
			t.Fatalf("%q parsed as %+v", s, a)
		}
	})
}

// FuzzErrorMessage feeds arbitrary files to the error file parser: it must
// not panic, and what it accepts must be a reply it would accept again as
// sent, with the same head, the body at the end of the file, and a size
// HAProxy's buffer holds.
func FuzzErrorMessage(f *testing.F) {
	f.Add([]byte(debian503))
	f.Add([]byte("HTTP/1.1 503 X\nContent-Length: 3, 3\nA: a\n  folded\nConnection: close, foo\n\nabc"))
	f.Add([]byte("\r\nHTTP/1.0 204 No\r\nTransfer-Encoding: gzip\r\n\r\n"))
	files, _ := filepath.Glob("testdata/errorfiles/*.http")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, msg := parseErrorMessage(raw, 101, 16384)
		if msg != "" {
			if e != nil {
				t.Fatalf("refused (%s) with a reply", msg)
			}
			return
		}
		if e.Empty() != (len(raw) == 0) {
			t.Fatalf("empty reply %v for %d bytes", e.Empty(), len(raw))
		}
		if e.Empty() {
			return
		}
		if !strings.HasSuffix(string(raw), string(e.Body)) || e.Size < len(e.Body) || e.Size > 16384 {
			t.Fatalf("body %q, size %d", e.Body, e.Size)
		}
		again, msg := parseErrorMessage(append(append(e.Head, "\r\n"...), e.Body...), 101, 16384)
		if msg != "" || string(again.Head) != string(e.Head) {
			t.Fatalf("sent head %q not taken again as is: %q %q", e.Head, msg, again.Head)
		}
	})
}

// FuzzParseFormat feeds arbitrary log-format strings to parseFormat: it
// must not panic, and what it accepts has no empty text part, no two text
// parts in a row, and writes back (as a format) to one it accepts the same.
func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"", "plain", "a %[src]:%cp 100%%", "%[req.hdr(host)]%[req.fhdr(x)]", "%[src", "%[hdr(a,1)]", "%{+Q}o", "%[src,lower]", "%[src,ipmask(24)]", "%[var(txn.a),upper]%ID", "%[var(req.b,dflt)]%[str(x y)]", "%"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, resp bool) {
		fm, msg := parseFormat(s, resp)
		if msg != "" {
			if fm != nil {
				t.Fatalf("refused (%s) with a format", msg)
			}
			return
		}
		var b strings.Builder
		for i, p := range fm {
			switch p.Kind {
			case FmtText:
				if p.Text == "" || i > 0 && fm[i-1].Kind == FmtText {
					t.Fatalf("text parts %+v", fm)
				}
				b.WriteString(strings.ReplaceAll(p.Text, "%", "%%"))
			case FmtHdr:
				b.WriteString("%[hdr(" + p.Text + ")" + convName(p.Conv) + "]")
			case FmtFullHdr:
				b.WriteString(map[bool]string{false: "%[req.fhdr(", true: "%[res.fhdr("}[resp] + p.Text + ")" + convName(p.Conv) + "]")
			case FmtStr:
				b.WriteString("%[str(" + p.Text + ")" + convName(p.Conv) + "]")
			case FmtMadeID:
				b.WriteString("%ID")
			case FmtVar:
				def := ""
				if p.HasDefault {
					def = "," + p.Text
				}
				b.WriteString("%[var(" + p.Var.String() + def + ")" + convName(p.Conv) + "]")
			default:
				b.WriteString("%[" + formatName(p.Kind) + convName(p.Conv) + "]")
			}
		}
		again, msg := parseFormat(b.String(), resp)
		if msg != "" || !slices.Equal(again, fm) {
			t.Fatalf("%q wrote back as %q: %q %+v, want %+v", s, b.String(), msg, again, fm)
		}
	})
}

// convName writes a converter back.
func convName(c Converter) string {
	return [...]string{ConvNone: "", ConvLower: ",lower", ConvUpper: ",upper"}[c]
}

// formatName names a sample kind of formatFetches.
func formatName(k FormatKind) string {
	for name, kind := range formatFetches {
		if kind == k {
			return name
		}
	}
	panic("no fetch for kind")
}

// FuzzParseLogFormat feeds arbitrary strings to parseLogFormat: it must
// not panic, and what it refuses comes with no format.
func FuzzParseLogFormat(f *testing.F) {
	for _, s := range []string{"", "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r",
		"%{+Q,+X}o%b %[src] %{-Q}s", "%{+Q}[var(txn.x)] %ID %[unique-id,lower]", "%", "%{", "%[src", "100%%", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lf, msg := parseLogFormat(s)
		if msg != "" && lf != nil {
			t.Fatalf("refused (%s) with a format", msg)
		}
		for _, p := range lf {
			if p.Var == LogText && p.Text == "" {
				t.Fatalf("empty text part in %+v", lf)
			}
		}
	})
}
