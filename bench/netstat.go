package bench

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
)

// netCounts are the machine's TCP segment and IP byte counters
// (/proc/net/snmp, /proc/net/netstat). On loopback every segment is both
// sent and received, so over a run of one proxy and its load the
// differences count the segments and bytes of the whole exchange: client
// to proxy, proxy to server and back.
type netCounts struct {
	outSegs  uint64 // Tcp OutSegs: segments sent, pure ACKs included
	inOctets uint64 // IpExt InOctets: bytes received, IP and TCP headers included
}

// ErrNetCounters is returned when the kernel's counters cannot be read.
var ErrNetCounters = errors.New("bench: cannot read /proc/net/snmp or /proc/net/netstat")

// readNetCounts reads the counters now.
func readNetCounts() (netCounts, error) {
	var n netCounts
	out, err1 := procNetField("/proc/net/snmp", "Tcp:", "OutSegs")
	in, err2 := procNetField("/proc/net/netstat", "IpExt:", "InOctets")
	if err1 != nil || err2 != nil {
		return n, ErrNetCounters
	}
	n.outSegs, n.inOctets = out, in
	return n, nil
}

// procNetField returns a counter of a /proc/net file, where each group is
// a line of names followed by a line of values, both starting with prefix.
func procNetField(path, prefix, name string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != prefix {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, n := range names {
			if n == name && i < len(fields) {
				return strconv.ParseUint(fields[i], 10, 64)
			}
		}
		return 0, ErrNetCounters
	}
	return 0, ErrNetCounters
}
