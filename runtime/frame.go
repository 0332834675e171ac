package runtime

import "bytes"

// maxCommand is the longest command a session accepts, delimiter and payload
// included: HAProxy's 16 kB buffer less the byte it reserves. A longer one
// closes the connection without a reply, as HAProxy 2.6 does (it was seen to
// give up a few bytes earlier when the bytes arrive in several reads).
const maxCommand = 16383

// scanCommand looks for the end of the command at the start of b: the first
// LF or ';' not escaped by a backslash. A backslash escapes any byte, LF and
// ';' included. from is where an earlier scan of the same bytes stopped (0 at
// first); it never points just after an escaping backslash.
//
// It returns the index of the delimiter, or -1 and the offset to pass as from
// once more bytes are appended, so a client that sends one byte at a time
// costs one pass over its bytes.
func scanCommand(b []byte, from int) (end, resume int) {
	i := from
	for i < len(b) {
		switch c := b[i]; {
		case c == '\\':
			if i+1 == len(b) {
				return -1, i
			}
			i += 2
		case cliClass[c]&cEnd != 0:
			return i, 0
		default:
			i++
		}
	}
	return -1, i
}

// scanPayloadLine looks for the LF that ends a payload line. Payload lines
// have no escapes and no ';' separator.
func scanPayloadLine(b []byte, from int) (end, resume int) {
	if j := bytes.IndexByte(b[from:], '\n'); j >= 0 {
		return from + j, 0
	}
	return -1, len(b)
}

// trimCR removes the one CR that may precede the delimiter.
func trimCR(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1]
	}
	return line
}

// startsPayload reports whether a command line announces a payload: it ends
// with "<<", whatever precedes it (a word then only drops it when "<<" stands
// alone, as in HAProxy).
func startsPayload(line []byte) bool {
	return bytes.HasSuffix(line, []byte(payloadMark))
}
