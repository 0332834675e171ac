package engine

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// maxHandover is the most listeners one handover carries: one message, so
// the descriptors arrive with their names (the kernel allows 253 per
// message).
const maxHandover = 250

// SendListeners passes duplicates of the listening sockets to the process at
// the other end of uc, in one message: a 4-byte big-endian length, the
// listeners' names separated by newlines, and the descriptors as SCM_RIGHTS.
// The sockets stay open in this process until it closes its listeners, and
// both processes may accept from them meanwhile, so no queued connection is
// lost. Paused and shut listeners are left out: the other process binds
// those addresses anew.
func SendListeners(uc *net.UnixConn, lns []*Listener) error {
	if len(lns) > maxHandover {
		return ErrHandover
	}
	names := make([]string, 0, len(lns))
	fds := make([]int, 0, len(lns))
	files := make([]*os.File, 0, len(lns))
	defer func() {
		for _, f := range files {
			_ = f.Close()
		}
	}()
	for _, ln := range lns {
		if ln.Down() {
			continue // paused or shut down: the new process binds its own
		}
		if strings.ContainsRune(ln.Name, '\n') {
			return ErrHandover
		}
		f, err := ln.File()
		if err != nil {
			return err
		}
		files = append(files, f)
		names = append(names, ln.Name)
		fds = append(fds, int(f.Fd()))
	}
	body := strings.Join(names, "\n")
	msg := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(body)), uint32(len(body)))
	msg = append(msg, body...)
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	n, _, err := uc.WriteMsgUnix(msg, oob, nil)
	if err != nil {
		return err
	}
	if n < len(msg) {
		_, err = uc.Write(msg[n:])
	}
	return err
}

// ReceiveListeners reads one SendListeners message from uc and returns the
// sockets by name, ready for Listen. The caller owns the files.
func ReceiveListeners(uc *net.UnixConn) (map[string]*os.File, error) {
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4*maxHandover))
	n, oobn, _, _, err := uc.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			rights, err := unix.ParseUnixRights(&m)
			if err == nil {
				fds = append(fds, rights...)
			}
		}
	}
	files := make([]*os.File, len(fds))
	for i, fd := range fds {
		unix.CloseOnExec(fd)
		files[i] = os.NewFile(uintptr(fd), "listener")
	}
	fail := func(err error) (map[string]*os.File, error) {
		for _, f := range files {
			_ = f.Close()
		}
		return nil, err
	}
	if n < 4 {
		return fail(ErrHandover)
	}
	size := int(binary.BigEndian.Uint32(buf[:4]))
	body := buf[4:n]
	if len(body) < size {
		rest := make([]byte, size-len(body))
		if _, err := io.ReadFull(uc, rest); err != nil {
			return fail(err)
		}
		body = append(body, rest...)
	}
	if len(body) != size {
		return fail(ErrHandover)
	}
	var names []string
	if size > 0 {
		names = strings.Split(string(body), "\n")
	}
	if len(names) != len(files) {
		return fail(ErrHandover)
	}
	out := make(map[string]*os.File, len(files))
	for i, name := range names {
		out[name] = files[i]
	}
	return out, nil
}

// HandoverCommand is the line FetchListeners sends before receiving: the
// runtime API command (HAProxy's name for it) whose handler answers with
// SendListeners on the same connection, on a socket with expose-fd
// listeners.
const HandoverCommand = "_getsocks"

// FetchListeners connects to the unix socket at path (the previous
// process's runtime API socket, as HAProxy's -x), sends HandoverCommand and
// a newline, and receives the listeners (see ReceiveListeners).
func FetchListeners(path string, timeout time.Duration) (map[string]*os.File, error) {
	c, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	uc := c.(*net.UnixConn)
	_ = uc.SetDeadline(time.Now().Add(timeout))
	if _, err := uc.Write([]byte(HandoverCommand + "\n")); err != nil {
		return nil, err
	}
	return ReceiveListeners(uc)
}
