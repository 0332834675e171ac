package runtime

import "net"

// levelHidden is above every session level: a command listed from it never
// appears in help or in the suggestions for an unknown command.
const levelHidden Level = 0xff

// handoverCommands serve a reload: a new process asks the old one for its
// listening sockets.
var handoverCommands = []command{
	{words: []string{"_getsocks"}, level: LevelUser, listFrom: levelHidden,
		usage: "_getsocks", help: "send the listening sockets to a new process (expose-fd listeners)",
		run: runGetSocks},
}

// runGetSocks serves `_getsocks` on a unix socket with `expose-fd
// listeners`: the socket's Handover sends the listening sockets over the
// connection, which then closes. Elsewhere, as in HAProxy, the connection
// closes without a reply. Nothing else is read or written afterwards: the
// new process reads the sockets and nothing more.
func runGetSocks(s *session, _ []string, _ []byte) {
	s.quit = true
	uc, ok := s.conn.(*net.UnixConn)
	if !ok || !s.srv.spec.ExposeFDListeners || s.srv.spec.Handover == nil {
		return
	}
	s.srv.armWrite(uc, s.idle())
	s.srv.spec.Handover(uc) // a failed handover leaves the new process to bind by itself
}
