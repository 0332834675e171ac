package engine

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// memPeak samples the Go heap in use and the process's resident size every
// 10 ms until stop is called, and returns the peaks' growth over the
// values at start, in bytes. Meanwhile the collector runs once the heap has
// grown by a tenth (GOGC=10), so that garbage, which the default lets grow
// as large as the live heap of the whole test binary, does not pass for
// memory the engine holds.
func memPeak() (stop func() (heap, rss int64)) {
	gc := debug.SetGCPercent(10)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap0, rss0 := int64(ms.HeapInuse), vmRSS()
	var peakHeap, peakRSS atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if h := int64(ms.HeapInuse); h > peakHeap.Load() {
				peakHeap.Store(h)
			}
			if r := vmRSS(); r > peakRSS.Load() {
				peakRSS.Store(r)
			}
			select {
			case <-done:
				return
			case <-tk.C:
			}
		}
	}()
	return func() (int64, int64) {
		close(done)
		wg.Wait()
		debug.SetGCPercent(gc)
		return peakHeap.Load() - heap0, peakRSS.Load() - rss0
	}
}

// vmRSS returns the process's resident set size from /proc/self/status.
func vmRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			v = bytes.TrimSpace(bytes.TrimSuffix(v, []byte("kB")))
			n, _ := strconv.ParseInt(string(v), 10, 64)
			return n << 10
		}
	}
	return 0
}

// patternPeriod is the period of the byte pattern the tests stream: a
// prime, so it never lines up with buffer sizes.
const patternPeriod = 251

// patternTable holds the pattern from every phase for up to 1 MiB.
var patternTable = func() []byte {
	b := make([]byte, patternPeriod+1<<20)
	for i := range b {
		b[i] = byte(i % patternPeriod * 3)
	}
	return b
}()

// patternAt returns the n pattern bytes from stream offset off (n <= 1 MiB).
func patternAt(off int64, n int) []byte {
	p := int(off % patternPeriod)
	return patternTable[p : p+n]
}

// sendPattern writes n pattern bytes to w.
func sendPattern(w io.Writer, n int64) error {
	for off := int64(0); off < n; {
		m := min(64<<10, n-off)
		if _, err := w.Write(patternAt(off, int(m))); err != nil {
			return err
		}
		off += m
	}
	return nil
}

// readPattern reads n pattern bytes from r in chunks, sleeping pause after
// every chunk (a slow reader), and checks every byte.
func readPattern(r io.Reader, n int64, chunk int, pause time.Duration) error {
	buf := make([]byte, chunk)
	for off := int64(0); off < n; {
		m, err := r.Read(buf[:min(int64(chunk), n-off)])
		if !bytes.Equal(buf[:m], patternAt(off, m)) {
			return errCorrupt(off)
		}
		off += int64(m)
		if err != nil {
			if off == n && err == io.EOF {
				return nil
			}
			return err
		}
		if pause > 0 {
			time.Sleep(pause)
		}
	}
	return nil
}

type errCorrupt int64

func (e errCorrupt) Error() string {
	return "corrupt bytes in the read at offset " + strconv.FormatInt(int64(e), 10)
}
