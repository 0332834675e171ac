package engine

// replyMonitor answers a request for the frontend's monitor-uri, as
// HAProxy 2.6 does when no `monitor fail` condition holds.
var replyMonitor = httpReply("200 OK", "<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n")

// monitored reports whether a request asks for the monitor URI uri: as in
// HAProxy, a URI starting with '/' is compared with the path and query of
// the target (what follows the authority of an absolute form), and any URI
// with the whole target.
func monitored(target, pathQuery []byte, uri string) bool {
	return string(target) == uri || uri[0] == '/' && string(pathQuery) == uri
}
