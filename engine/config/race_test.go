//go:build race

package config

// raceEnabled: the race detector makes sync.Pool drop items at random, so
// regexp matching (which pools its machines) may allocate under it.
const raceEnabled = true
