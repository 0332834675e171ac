package config

import "io/fs"

// modeBits converts octal permission bits as written in a configuration
// (including setuid, setgid and sticky) into an fs.FileMode.
func modeBits(m uint64) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
