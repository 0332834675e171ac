package engine

// replyMonitor answers a request for the frontend's monitor-uri, as
// HAProxy 2.6 does when no `monitor fail` condition holds.
var replyMonitor = httpReply("200 OK", "<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n")

// monitored reports whether a request target asks for the monitor URI
// uri. As in HAProxy, a URI starting with '/' is compared with the path of
// the target (with its query string; the part after the authority of an
// absolute form), and any URI with the whole target.
func monitored(target []byte, uri string) bool {
	if string(target) == uri {
		return true
	}
	return uri[0] == '/' && string(targetPath(target)) == uri
}

// targetPath returns the path of a request target and what follows it:
// the target itself in origin form, what follows the authority of an
// absolute form ("scheme://authority/path?query"), empty when nothing does.
func targetPath(target []byte) []byte {
	if len(target) == 0 || target[0] == '/' {
		return target
	}
	for i := 0; i+2 < len(target); i++ {
		c := target[i]
		if c == ':' && target[i+1] == '/' && target[i+2] == '/' {
			rest := target[i+3:]
			for j, c := range rest {
				if c == '/' || c == '?' {
					return rest[j:]
				}
			}
			return nil
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			break
		}
	}
	return target
}
