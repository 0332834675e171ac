//go:build !race

package engine

// streamSize is how much the memory tests push each way.
const streamSize = 512 << 20

// raceEnabled: allocation counts are not meaningful under the detector.
const raceEnabled = false
