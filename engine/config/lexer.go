package config

import (
	"bytes"
	"strconv"
	"strings"
)

// Byte classes of the configuration lexer.
const (
	classSpace   = 1 << iota // word separator: space or tab
	classEnvHead             // may start an environment variable name
	classEnvName             // may continue an environment variable name
	classHex                 // hexadecimal digit
)

// lexClass maps every byte to its lexer classes.
var lexClass = func() (t [256]uint8) {
	t[' '] |= classSpace
	t['\t'] |= classSpace
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= classEnvHead | classEnvName
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= classEnvHead | classEnvName
	}
	t['_'] |= classEnvHead | classEnvName
	for c := '0'; c <= '9'; c++ {
		t[c] |= classEnvName | classHex
	}
	for _, c := range "abcdefABCDEF" {
		t[c] |= classHex
	}
	return t
}()

// lexPlace is what the lexer needs to know about the line it cuts: the
// pseudo-variables .FILE, .LINE and .SECTION, and the environment.
type lexPlace struct {
	file    string
	line    int
	section string // name of the current section, or its type when unnamed
	getenv  func(string) (string, bool)
}

// lexError is a lexing failure at a 1-based byte position of the line.
type lexError struct {
	pos int
	msg string
}

func (e *lexError) Error() string { return e.msg + " at position " + strconv.Itoa(e.pos) }

// splitLine cuts one configuration line into words as HAProxy 2.6 does:
// spaces and tabs separate words, an unprotected '#' starts a comment,
// single quotes protect everything, double quotes protect separators and
// allow "$VAR", "${VAR}", "${VAR-default}" and "${VAR[*]}" expansion, and a
// backslash escapes ' ', '#', '\', '\”, '"', '$' and encodes \r, \n, \t and
// \xNN. A carriage return ends the line wherever it is. An empty quoted
// string ("") is a word of its own. A word ends at
// its first NUL byte, as HAProxy's C strings do. The words are copies.
func splitLine(line string, p *lexPlace) ([]string, *lexError) {
	var (
		words  []string
		cur    []byte
		inWord bool
		squote bool
		dquote bool
		qpos   int // position of the opening quote, for errors
	)
	end := func() {
		if inWord {
			if i := bytes.IndexByte(cur, 0); i >= 0 {
				cur = cur[:i] // HAProxy's words are C strings: a NUL ends them
			}
			words = append(words, string(cur))
			cur = cur[:0]
			inWord = false
		}
	}
	i := 0
	for i < len(line) {
		c := line[i]
		if c == '\r' {
			break // a carriage return ends the line, even inside quotes
		}
		switch {
		case squote:
			if c == '\'' {
				squote = false
			} else {
				cur = append(cur, c)
			}
			i++
		case c == '\'' && !dquote:
			squote, inWord, qpos = true, true, i+1
			i++
		case c == '"':
			if !dquote {
				qpos = i + 1
			}
			dquote, inWord = !dquote, true
			i++
		case c == '\\':
			n, adv, err := unescape(line, i)
			if err != nil {
				return nil, err
			}
			cur = append(cur, n...)
			inWord = true
			i += adv
		case c == '$' && dquote:
			val, split, adv, err := expandEnv(line, i, p)
			if err != nil {
				return nil, err
			}
			if split {
				fields := strings.Fields(val)
				for k, f := range fields {
					if k > 0 {
						end()
					}
					cur = append(cur, f...)
					inWord = true
				}
			} else {
				cur = append(cur, val...)
			}
			inWord = true
			i += adv
		case dquote:
			cur = append(cur, c)
			i++
		case c == '#':
			i = len(line)
		case lexClass[c]&classSpace != 0:
			end()
			i++
		default:
			cur = append(cur, c)
			inWord = true
			i++
		}
	}
	if squote || dquote {
		return nil, &lexError{pos: qpos, msg: "unmatched quote"}
	}
	end()
	return words, nil
}

// unescape decodes the backslash sequence at line[i] and returns the bytes it
// stands for and how many input bytes it used. An unknown sequence keeps its
// backslash, as does a backslash ending the line.
func unescape(line string, i int) ([]byte, int, *lexError) {
	if i+1 >= len(line) {
		return []byte{'\\'}, 1, nil
	}
	switch c := line[i+1]; c {
	case ' ', '\t', '\\', '#', '\'', '"', '$':
		return []byte{c}, 2, nil
	case 'r':
		return []byte{'\r'}, 2, nil
	case 'n':
		return []byte{'\n'}, 2, nil
	case 't':
		return []byte{'\t'}, 2, nil
	case 'x':
		if i+3 < len(line) && lexClass[line[i+2]]&classHex != 0 && lexClass[line[i+3]]&classHex != 0 {
			v, _ := strconv.ParseUint(line[i+2:i+4], 16, 8)
			return []byte{byte(v)}, 4, nil
		}
		return nil, 0, &lexError{pos: i + 1, msg: "truncated or invalid hexadecimal sequence"}
	}
	return []byte{'\\'}, 1, nil
}

// expandEnv expands the variable reference at line[i] ('$') and returns its
// value, whether it must be split into words ("${VAR[*]}"), and how many
// input bytes it used.
func expandEnv(line string, i int, p *lexPlace) (string, bool, int, *lexError) {
	j := i + 1
	braced := j < len(line) && line[j] == '{'
	if braced {
		j++
	}
	start := j
	if j < len(line) && (lexClass[line[j]]&classEnvHead != 0 || (braced && line[j] == '.')) {
		j++
		for j < len(line) && lexClass[line[j]]&classEnvName != 0 {
			j++
		}
	}
	if j == start {
		return "", false, 0, &lexError{pos: i + 2, msg: "forbidden first char in environment variable name"}
	}
	name := line[start:j]
	val, ok := p.lookup(name)
	if !braced {
		return val, false, j - i, nil
	}
	split := false
	if strings.HasPrefix(line[j:], "[*]") {
		split = true
		j += 3
	}
	if j < len(line) && line[j] == '-' {
		k := strings.IndexByte(line[j:], '}')
		if k < 0 {
			return "", false, 0, &lexError{pos: i + 2, msg: "unmatched brace in environment variable name"}
		}
		if !ok {
			val = line[j+1 : j+k]
		}
		j += k
	}
	if j >= len(line) || line[j] != '}' {
		return "", false, 0, &lexError{pos: i + 2, msg: "unmatched brace in environment variable name"}
	}
	return val, split, j + 1 - i, nil
}

// lookup returns a pseudo-variable (.FILE, .LINE, .SECTION) or an
// environment variable.
func (p *lexPlace) lookup(name string) (string, bool) {
	switch name {
	case ".FILE":
		return p.file, true
	case ".LINE":
		return strconv.Itoa(p.line), true
	case ".SECTION":
		return p.section, true
	}
	if p.getenv == nil {
		return "", false
	}
	return p.getenv(name)
}
