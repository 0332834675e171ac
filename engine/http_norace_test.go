//go:build !race

package engine

// httpRace reports whether the race detector is on: allocation counts
// mean nothing then.
const httpRace = false
