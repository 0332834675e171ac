//go:build race

package engine

// streamSize is how much the memory tests push each way: less under the
// race detector, which slows the copy loops several times.
const streamSize = 256 << 20

// raceEnabled: allocation counts are not meaningful under the detector.
const raceEnabled = true
