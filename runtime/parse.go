package runtime

import "bytes"

// maxWords is the most words a command has (HAProxy's MAX_CLI_ARGS); words
// past it are ignored.
const maxWords = 64

// payloadMark ends a command line whose payload follows on the next lines,
// up to an empty line.
const payloadMark = "<<"

// Byte classes of the command line.
const (
	cBlank  = 1 << iota // separates words: space, TAB
	cNUL                // ends a word; at the start of a word, ends the command
	cEscape             // '\': the next byte is taken literally
	cEnd                // ends a command: LF, ';'
)

// cliClass maps each byte to its classes.
var cliClass = [256]uint8{
	' ':  cBlank,
	'\t': cBlank,
	0:    cNUL,
	'\\': cEscape,
	'\n': cEnd,
	';':  cEnd,
}

// Words splits one command (without its delimiter) into words the way
// HAProxy 2.6's CLI does:
//   - words are separated by spaces and TABs;
//   - '\' takes the next byte literally (`\ ` and `\;` stay in the word);
//     `\\` is one backslash; a '\' that ends the line is dropped;
//   - a NUL byte ends the word it is in, and a NUL where a word would start
//     ends the command;
//   - a last word that is exactly "<<" marks a payload and is not a word;
//   - words past the 64th are ignored.
//
// The words are copies: they do not alias cmd.
func Words(cmd []byte) []string {
	var words []string
	i, n := 0, len(cmd)
	for len(words) < maxWords && i < n {
		for i < n && cliClass[cmd[i]]&cBlank != 0 {
			i++
		}
		if i == n || cmd[i] == 0 {
			break
		}
		if isPayloadMark(cmd[i:]) {
			break
		}
		start := i
		for i < n && cliClass[cmd[i]]&(cBlank|cNUL) == 0 {
			if cmd[i] == '\\' {
				i++
				if i == n || cmd[i] == 0 {
					break
				}
			}
			i++
		}
		words = append(words, unescape(cmd[start:i]))
		i++ // the separator (blank or NUL) belongs to no word
	}
	return words
}

// isPayloadMark reports whether rest, up to its first NUL, is the payload
// mark.
func isPayloadMark(rest []byte) bool {
	if j := bytes.IndexByte(rest, 0); j >= 0 {
		rest = rest[:j]
	}
	return string(rest) == payloadMark
}

// unescape removes the backslashes of one raw word: `\x` gives x and `\\`
// gives one backslash. A final lone backslash disappears.
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for k := 0; k < len(raw); k++ {
		if raw[k] == '\\' {
			k++
			if k == len(raw) {
				break
			}
		}
		out = append(out, raw[k])
	}
	return string(out)
}
