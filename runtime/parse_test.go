package runtime

import (
	"slices"
	"testing"
)

func TestWords(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   \t ", nil},
		{"show cli level", []string{"show", "cli", "level"}},
		{"  show \t cli  ", []string{"show", "cli"}},
		{`a\;b`, []string{"a;b"}},
		{`a\ b c`, []string{"a b", "c"}},
		{`a\\b`, []string{`a\b`}},
		{`a\\\;b`, []string{`a\;b`}},
		{`\\`, []string{`\`}},
		{`abc\`, []string{"abc"}},
		{`\`, []string{""}},
		{"a\\\nb", []string{"a\nb"}},
		{"show\x00cli level", []string{"show", "cli", "level"}},
		{"show \x00cli", []string{"show"}},
		{"\x00show", nil},
		{"show cli <<", []string{"show", "cli"}},
		{"show cli<<", []string{"show", "cli<<"}},
		{`show \<<`, []string{"show", "<<"}},
		{"show << x", []string{"show", "<<", "x"}},
		{"show <<\x00x", []string{"show"}},
		{"'a b'", []string{"'a", "b'"}},
	}
	for _, c := range cases {
		if got := Words([]byte(c.in)); !slices.Equal(got, c.want) {
			t.Errorf("Words(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestWordsLimit(t *testing.T) {
	t.Parallel()
	line := []byte("w")
	for range 70 {
		line = append(line, " x"...)
	}
	if got := Words(line); len(got) != maxWords {
		t.Errorf("%d words, want %d", len(got), maxWords)
	}
}

func TestScanCommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want int
	}{
		{"", -1},
		{"abc", -1},
		{"abc\n", 3},
		{"abc;d\n", 3},
		{`a\;b;`, 4},
		{"a\\\nb\n", 4},
		{`a\\;`, 3},
		{`a\`, -1},
	}
	for _, c := range cases {
		if got, _ := scanCommand([]byte(c.in), 0); got != c.want {
			t.Errorf("scanCommand(%q) = %d, want %d", c.in, got, c.want)
		}
	}
	// Resuming never misreads an escape split across reads.
	b := []byte(`ab\`)
	end, resume := scanCommand(b, 0)
	if end != -1 || resume != 2 {
		t.Fatalf("got %d, %d", end, resume)
	}
	b = append(b, ";x;"...)
	if end, _ = scanCommand(b, resume); end != 5 {
		t.Errorf("after resume: end %d, want 5", end)
	}
}
