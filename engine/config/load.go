package config

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxWords is HAProxy's limit on the words of one line; a longer line is
// refused.
const maxWords = 64

// File is one configuration file's name (used in diagnostics) and contents.
type File struct {
	Name string
	Data []byte
}

// Load reads the configuration from paths in order, as `haproxy -f` does: a
// file is read as is, a directory contributes its *.cfg files in lexical
// order. Environment variables are taken from the process. The returned
// error wraps ErrInvalid and is an *Error when the configuration raised
// alerts; warnings are in Config.Warnings either way.
func Load(paths ...string) (*Config, error) {
	var files []File
	var diags []Diag
	for _, path := range paths {
		names, err := expandPath(path)
		if err != nil {
			diags = append(diags, Diag{Severity: Alert, Message: "Could not open configuration file " + path + " : " + errText(err)})
			continue
		}
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				diags = append(diags, Diag{Severity: Alert, Message: "Could not open configuration file " + name + " : " + errText(err)})
				continue
			}
			files = append(files, File{Name: name, Data: data})
		}
	}
	cfg, err := Parse(files...)
	if len(diags) == 0 {
		return cfg, err
	}
	if e, ok := err.(*Error); ok {
		diags = append(diags, e.Diags...)
	} else {
		diags = append(diags, cfg.Warnings...)
	}
	return cfg, &Error{Diags: diags}
}

// expandPath returns path itself for a file and the sorted *.cfg files in it
// for a directory.
func expandPath(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".cfg") && e.Type().IsRegular() {
			names = append(names, filepath.Join(path, e.Name()))
		}
	}
	sort.Strings(names)
	return names, nil
}

// errText strips Go's "open name: " prefix from a file error.
func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse reads the configuration from files in order, as Load does.
func Parse(files ...File) (*Config, error) {
	p := newParser()
	for _, f := range files {
		p.cfg.Files = append(p.cfg.Files, f.Name)
		p.parseFile(f)
	}
	p.finish()
	if p.alerts > 0 {
		return p.cfg, &Error{Diags: p.diags}
	}
	p.cfg.Warnings = p.diags
	return p.cfg, nil
}

// parseFile cuts a file into lines and lines into words, and hands each
// line to the current section. Every file starts outside any section. As
// HAProxy reads lines as C strings, a NUL byte or a last line without LF
// is reported as a truncated file, which ends the file.
func (p *parser) parseFile(f File) {
	p.file = f.Name
	p.endSection()
	p.line = 0
	data := f.Data
	for len(data) > 0 {
		p.line++
		p.kw = ""
		line := data
		nl := bytes.IndexByte(data, '\n')
		if nl >= 0 {
			line, data = data[:nl], data[nl+1:]
		} else {
			data = nil
		}
		if z := bytes.IndexByte(line, 0); z >= 0 || nl < 0 {
			if z >= 0 {
				line = line[:z]
			}
			p.alert("Missing LF on last line, file might have been truncated at position " + itoa(len(line)+1) + ".")
			break
		}
		place := lexPlace{file: p.file, line: p.line, section: p.sectionName, getenv: os.LookupEnv}
		words, lerr := splitLine(string(line), &place)
		if lerr != nil {
			p.alert(lerr.Error())
			continue
		}
		if len(words) == 0 {
			continue
		}
		if len(words) > maxWords {
			p.alert("too many words, truncating after word " + itoa(maxWords) + ": <" + words[maxWords-1] + ">.")
			continue
		}
		if p.directive(words) || !p.active() {
			continue
		}
		p.parseLine(words)
	}
	p.endBlocks()
	p.endSection()
}
