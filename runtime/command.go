package runtime

import (
	"slices"
	"strings"
)

// command is one entry of the command table: the words that select it, the
// level it needs, how help lists it and the handler that runs it.
type command struct {
	words   []string // leading words that select the command, all required
	level   Level    // least session level; below it the reply is "Permission denied"
	usage   string   // synopsis listed by help and by unknown-command replies
	help    string   // one-line description, in our own words
	trailer bool     // listed last, in table order, whatever the filter (help, prompt, quit)
	// listFrom, when above level, is the least level help lists the
	// command at: `operator` runs at any level (to deny raising the level
	// in its own way) but is only of use from operator on.
	listFrom Level
	// run executes the command: args are all the words of the command line
	// (the selecting words first), payload the lines after "<<" joined with
	// LF, nil without payload. It writes its reply with the session's
	// printing methods.
	run func(s *session, args []string, payload []byte)
}

// commandTable is every command, grouped by the state the commands change.
// Lookup takes the first entry whose words all match, so the order only
// matters between entries that share leading words.
var commandTable = slices.Concat(cliCommands, showCommands, cookieCommands, serverCommands, maxconnCommands, frontendCommands, counterCommands, handoverCommands)

// lookup returns the command selected by args, or nil.
func lookup(table []command, args []string) *command {
	for i := range table {
		c := &table[i]
		if len(args) >= len(c.words) && slices.Equal(c.words, args[:len(c.words)]) {
			return c
		}
	}
	return nil
}

// Heads of the command listings, as HAProxy words them (clients match them).
const (
	headHelp    = "The following commands are valid at this level:\n"
	headUnknown = "Unknown command. Please enter one of the following commands only:\n"
	headFuzzy   = "Unknown command, but maybe one of the following ones is a better match:\n"
)

// maxSuggestions is the most commands an unknown-command reply proposes.
const maxSuggestions = 5

// usageWidth is the column where descriptions start in listings.
const usageWidth = 40

// printUsage writes the listing for help (isHelp, args being the words after
// "help") or for an unknown command (args being its words). Only commands the
// session's level may run are listed. Commands whose leading words all match
// the longest matching prefix of args are candidates; when args has words past
// that prefix, the candidates that resemble them best are proposed, otherwise
// all candidates are listed. help, prompt and quit always close the list.
func (s *session) printUsage(args []string, isHelp bool) {
	var visible []*command
	for i := range s.table {
		if c := &s.table[i]; c.listed(s.level) {
			visible = append(visible, c)
		}
	}
	matched := 0 // leading words of args matched by some command
	for _, c := range visible {
		if c.trailer {
			continue
		}
		n := 0
		for n < len(c.words) && n < len(args) && c.words[n] == args[n] {
			n++
		}
		matched = max(matched, n)
	}
	switch {
	case isHelp:
		s.print(headHelp)
	case matched == 0 && (len(args) == 0 || args[0] == ""):
		s.print(headUnknown)
	default:
		s.print(headFuzzy)
	}

	var candidates []*command
	for _, c := range visible {
		if !c.trailer && len(c.words) >= matched && slices.Equal(c.words[:matched], args[:matched]) {
			candidates = append(candidates, c)
		}
	}
	if matched < len(args) {
		if best := closest(candidates, matched, args[matched:]); len(best) > 0 {
			candidates = best
		}
	}
	slices.SortFunc(candidates, func(a, b *command) int { return strings.Compare(a.usage, b.usage) })
	for _, c := range candidates {
		s.printUsageLine(c)
	}
	for _, c := range visible {
		if c.trailer {
			s.printUsageLine(c)
		}
	}
}

// listed reports whether listings show c to a session at level l.
func (c *command) listed(l Level) bool { return max(c.level, c.listFrom) <= l }

func (s *session) printUsageLine(c *command) {
	s.print("  ")
	s.print(c.usage)
	for n := len(c.usage); n < usageWidth; n++ {
		s.print(" ")
	}
	s.print(": ")
	s.print(c.help)
	s.print("\n")
}

// closest returns up to maxSuggestions candidates whose words after the
// first skip resemble typed best, by the share of character pairs they have
// in common, dropping those less than half as close as the best.
func closest(candidates []*command, skip int, typed []string) []*command {
	want := bigrams(strings.Join(typed, " "))
	type scored struct {
		c     *command
		score float64
	}
	var found []scored
	for _, c := range candidates {
		have := bigrams(strings.Join(c.words[skip:], " "))
		if sc := similarity(want, have); sc > 0 {
			found = append(found, scored{c, sc})
		}
	}
	slices.SortStableFunc(found, func(a, b scored) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	var out []*command
	for _, f := range found {
		if len(out) == maxSuggestions || f.score < found[0].score/2 {
			break
		}
		out = append(out, f.c)
	}
	return out
}

// bigrams counts the pairs of adjacent bytes of s, with its two ends marked
// by a space so one-letter words count.
func bigrams(s string) map[string]int {
	s = " " + s + " "
	m := make(map[string]int, len(s))
	for i := 0; i+1 < len(s); i++ {
		m[s[i:i+2]]++
	}
	return m
}

// similarity is the Dice coefficient of two bigram multisets: 1 for the same
// pairs, 0 for none in common.
func similarity(a, b map[string]int) float64 {
	common, total := 0, 0
	for k, n := range a {
		common += min(n, b[k])
		total += n
	}
	for _, n := range b {
		total += n
	}
	if total == 0 {
		return 0
	}
	return 2 * float64(common) / float64(total)
}
