// Package h1 scans, checks and edits HTTP/1.1 message heads in place.
//
// Everything here works on the caller's bytes and copies nothing: a
// Scanner reads a head from a window of a connection buffer and records
// spans (offsets) of the start line and of every field; an Editor records
// deletions, replacements and appended lines over that head and emits the
// result as a few writev segments or appended into a buffer; a
// ChunkedDecoder follows a chunked body through the buffer and reports
// where the data lie. None of them allocates once set up.
//
// # Using it
//
//	s := h1.NewScanner(h1.DefaultLimits())    // one per connection direction
//	var req h1.Request                        // reused from request to request
//	n, err := s.Request(buf, &req)            // buf: the bytes read so far
//	switch {
//	case err == h1.ErrNeedMore:               // read more, call again with buf grown
//	case err != nil:                          // answer h1.StatusOf(err) and close
//	default:                                  // the head is buf[:n]; the body follows
//	}
//	host := req.Value(buf, req.Host)          // a view into buf
//	for i := req.Find(buf, "cookie", 0); i >= 0; i = req.Find(buf, "cookie", i+1) { ... }
//
//	var e h1.Editor
//	e.Reset(buf, &req.Header)
//	e.DeleteField(i)                          // and Delete, Replace, ReplaceValue, Append
//	iov = e.Segments(iov[:0])                 // or out = e.AppendTo(out[:0])
//
// Response works as Request does and needs the method of the request it
// answers, which decides the framing of HEAD and CONNECT responses.
//
// # Lifetimes and concurrency
//
// A Span indexes the window given to the Scanner. The bytes it names are
// the caller's and live as long as the caller keeps them (for a gnet
// connection, until the bytes are discarded); moving or copying the window
// keeps spans valid, as they are offsets. Slices returned by Span.Bytes,
// Header.Name and Header.Value are views with the same life. The Editor
// keeps views of the window and of the bytes given to it until the edited
// head has been emitted. Scanner, Request, Response, Editor and
// ChunkedDecoder belong to one connection and are not safe for concurrent
// use.
//
// # Partial input
//
// Scanner.Request and Scanner.Response return ErrNeedMore while the head is
// incomplete; call again with a window that starts at the same byte and has
// grown. The scanner keeps its state and the offset where it stopped and
// does not go back over checked bytes, except to read once more a finished
// token it interprets (a field name to identify it, the value of a field
// such as Content-Length, the start of the target); so a client sending one
// byte at a time costs linear work. ChunkedDecoder.Next consumes what it is
// given, remembering a line cut in the middle.
//
// # What is refused
//
// A refusal is an *Error whose Status is the answer to a refused request
// (400 unless 414, 431, 501 or 505 fits better; a refused response calls
// for a 502). The scanner follows RFC 9110 and RFC 9112 strictly where a
// lenient reading could let two parsers disagree about a message:
//
//   - Lines end with CRLF. A bare CR and a bare LF are refused; HAProxy 2.6
//     accepts a bare LF.
//   - NUL, DEL and the other control bytes but HTAB are refused in values
//     and reason phrases; HAProxy 2.6 forwards them.
//   - Field names are tokens; whitespace before the colon and empty names
//     are refused (as HAProxy does).
//   - Obsolete line folding is refused with 400. RFC 9112 allows either
//     that or replacing the fold by spaces; HAProxy 2.6 does the second,
//     writing spaces into its buffer. The scanner never writes into the
//     caller's window, and no current client folds lines.
//   - Empty lines before a request line are skipped (RFC 9112 section 2.2),
//     as HAProxy does; Header.Head starts after them.
//   - The request line is method SP target SP version, single spaces. The
//     target is VCHARs in origin form, absolute form (whose authority must
//     match Host, an absent port matching the scheme's default), authority
//     form for CONNECT only (where a Host without a port agrees with port
//     80 or 443, as HAProxy reads it), or "*" for OPTIONS only, without a fragment
//     ("#", which HAProxy refuses too). HTTP/0.9 requests are refused;
//     HTTP/1.2 and later minors read as HTTP/1.1, and other major versions
//     get 505.
//   - A status line is version SP three digits from 100 to 599, then SP and
//     a reason phrase or nothing; HAProxy 2.6 forwards a two-digit status.
//   - An HTTP/1.1 request needs exactly one Host, and every Host needs a
//     valid value; HAProxy 2.6 accepts a missing Host and merges identical
//     ones.
//   - Content-Length is digits, or a list of identical values (flagged
//     FlagCLList); it must fit in an int64.
//   - In a request, Transfer-Encoding must end with chunked, applied once,
//     without parameters (400 otherwise); codings other than gzip, x-gzip,
//     deflate, compress and x-compress get 501. With Content-Length too,
//     Transfer-Encoding wins and the head carries FlagRemoveCL and
//     FlagMustClose. Transfer-Encoding in an HTTP/1.0 message is refused.
//     HAProxy 2.6 answers 422 for codings before chunked.
//   - A head may fill Limits.BufSize-Limits.MaxRewrite bytes (414 while in
//     the target, 431 after) and hold Limits.MaxHeaders-1 fields (400), as
//     HAProxy counts tune.http.maxhdr.
//
// Chunked bodies: a chunk size has at most 16 hexadecimal digits and is
// below 2^52, as HAProxy bounds it; whitespace after it is allowed only before an extension;
// extensions are bounded by Limits.MaxChunkExt, and trailer sections by
// Limits.MaxTrailer bytes and Limits.MaxHeaders-1 fields; trailer lines
// follow the field line rules, and the section is checked and edited as
// HAProxy 2.6 does (chunked_trailer.go).
//
// # Connection handling
//
// Header.Flags records the Connection options close, keep-alive and
// upgrade, an Upgrade to websocket, Expect: 100-continue and the framing
// repairs; Header.KeepAlive combines them with the version. Header.HopByHop
// tells which fields must not be forwarded.
package h1
