package main

import (
	"fmt"
	"os"
	"syscall"

	"tether/engine/config"
)

// confine does what the global `chroot`, `group`/`gid` and `user`/`uid`
// ask, as HAProxy does once every socket is bound: it changes the root
// directory, drops the supplementary groups and sets the group, then sets
// the user. Unset settings (empty, 0) leave the process as it is.
func confine(g *config.Global) error {
	if g.Chroot != "" {
		if err := syscall.Chroot(g.Chroot); err != nil {
			return fmt.Errorf("cannot chroot(%s): %w", g.Chroot, err)
		}
		if err := os.Chdir("/"); err != nil {
			return fmt.Errorf("cannot chdir to / in %s: %w", g.Chroot, err)
		}
	}
	if g.GID != 0 {
		if err := syscall.Setgroups(nil); err != nil {
			fmt.Fprintln(os.Stderr, "[WARNING] cannot drop the supplementary groups:", err)
		}
		if err := syscall.Setgid(g.GID); err != nil {
			return fmt.Errorf("cannot set gid %d: %w", g.GID, err)
		}
	}
	if g.UID != 0 && os.Getuid() != g.UID {
		if err := syscall.Setuid(g.UID); err != nil {
			return fmt.Errorf("cannot set uid %d: %w", g.UID, err)
		}
	}
	return nil
}
