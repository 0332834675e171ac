package engine

import "golang.org/x/sys/unix"

// fdReserve is the number of descriptors kept out of the connection budget:
// listeners, the runtime API, logs, health checks, resolvers and the Go
// runtime's own descriptors.
const fdReserve = 128

// RaiseNoFile raises the soft RLIMIT_NOFILE to the hard limit and returns the
// resulting soft limit. Call it once at start, before any listener exists.
func RaiseNoFile() (uint64, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
			return 0, err
		}
	}
	return rl.Cur, nil
}

// SetNoFile sets RLIMIT_NOFILE, soft and hard, to n (`ulimit-n`), as
// HAProxy does, and returns the resulting soft limit. On failure (raising
// the hard limit needs privileges) the limit is left as it was.
func SetNoFile(n uint64) (uint64, error) {
	rl := unix.Rlimit{Cur: n, Max: n}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	return n, nil
}

// MaxConnFor returns the default maxconn for a descriptor limit, as HAProxy
// derives it: every proxied connection needs two descriptors (the client and
// its server) once the reserve is set aside. It is at least 1.
func MaxConnFor(nofile uint64) int {
	if nofile <= 2*fdReserve {
		return max(int(nofile/4), 1)
	}
	return int((nofile - fdReserve) / 2)
}

// fdBudget returns how many sockets the engine may hold open at once for a
// descriptor limit: everything but the reserve.
func fdBudget(nofile uint64) int64 {
	if nofile <= 2*fdReserve {
		return int64(max(nofile/2, 2))
	}
	return int64(nofile - fdReserve)
}
