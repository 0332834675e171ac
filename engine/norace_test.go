//go:build !race

package engine

// streamSize is how much the memory tests push each way.
const streamSize = 512 << 20
