package runtime

import (
	"os"
	"syscall"
)

// fileID returns the inode of the file at path, which tells a socket file
// we created from one another process put there since.
func fileID(path string) (uint64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, os.ErrInvalid
	}
	return uint64(st.Ino), nil
}
