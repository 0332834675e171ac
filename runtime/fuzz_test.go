package runtime

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks the framing and the word splitter on any input:
//   - scanCommand finds the first delimiter that is not escaped, and
//     resuming a scan at any split gives the same result;
//   - Words never returns more than maxWords words, nor a word longer than
//     the line;
//   - words without NUL survive a round trip through escaping and joining.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"show cli level\n", "a;b\n", `a\;b` + "\n", "a\\\nb\n", `x\\;y`, "show <<\nx\n\n",
		"\x00\\", "set dynamic-cookie-key backend bk a\\ b\r\n", "  \t;;\n", `\`,
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		end, _ := scanCommand(in, 0)
		if want := firstDelimiter(in); end != want {
			t.Fatalf("scanCommand(%q) = %d, want %d", in, end, want)
		}
		cut := int(split) % (len(in) + 1)
		e1, resume := scanCommand(in[:cut], 0)
		if e1 < 0 {
			if resume > cut {
				t.Fatalf("resume %d past the bytes scanned (%d)", resume, cut)
			}
			if e2, _ := scanCommand(in, resume); e2 != end {
				t.Fatalf("%q split at %d: resumed scan found %d, whole scan %d", in, cut, e2, end)
			}
		} else if e1 != end {
			t.Fatalf("%q split at %d: prefix scan found %d, whole scan %d", in, cut, e1, end)
		}

		words := Words(in)
		if len(words) > maxWords {
			t.Fatalf("%d words", len(words))
		}
		for _, w := range words {
			if len(w) > len(in) {
				t.Fatalf("word %q longer than the line %q", w, in)
			}
		}

		var clean []string
		for _, w := range words {
			if w != "" && !strings.ContainsRune(w, 0) && w != payloadMark {
				clean = append(clean, w)
			}
		}
		if len(clean) == 0 {
			return
		}
		var line bytes.Buffer
		for i, w := range clean {
			if i > 0 {
				line.WriteByte(' ')
			}
			for j := 0; j < len(w); j++ {
				if c := w[j]; cliClass[c] != 0 {
					line.WriteByte('\\')
				}
				line.WriteByte(w[j])
			}
		}
		if got := Words(line.Bytes()); !slices.Equal(got, clean) {
			t.Fatalf("round trip of %q through %q gave %q", clean, line.Bytes(), got)
		}
		if end, _ := scanCommand(line.Bytes(), 0); end >= 0 {
			t.Fatalf("escaped line %q has a delimiter at %d", line.Bytes(), end)
		}
	})
}

// firstDelimiter is the reference for scanCommand: walk the bytes, skipping
// the byte after each backslash.
func firstDelimiter(b []byte) int {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '\n', ';':
			return i
		}
	}
	return -1
}
