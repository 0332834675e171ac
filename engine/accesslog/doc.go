// Package accesslog writes HAProxy 2.6 access logs: the httplog line of
// a finished request, the one-line "Connect from" log of a proxy without
// `option httplog`, the syslog framings of `log` lines, and a Logger that
// takes lines from the event loops without blocking them.
//
// # Using it
//
// The engine builds one Logger per frontend that has `log` lines, after
// replacing `log global` with the global section's lines:
//
//	targets := accesslog.Targets(fe.Logs, cfg.Global.Logs)
//	lg, err := accesslog.New(targets, accesslog.Options{DontLogNull: fe.Options.DontLogNull})
//	defer lg.Close()
//
// When a request ends, the loop fills a Record it keeps for the
// connection and hands it over; LogHTTP renders the line straight into
// the Logger's queue:
//
//	rec.Client, rec.Accept, rec.Frontend = ...
//	rec.Cookie = table.LogFlags(&reqState, &respState) // package persist
//	lg.LogHTTP(&rec)
//
// AppendHTTPLog renders the same line into any buffer, and Log queues a
// line rendered elsewhere (for instance by AppendConnectLog).
//
// # Filling a Record as HAProxy does
//
// Lines HAProxy 2.6.12 logged in the differential test (client part and
// dates left out):
//
//	fe be/s1 0/0/0/4/4 200 119 - - --NI 1/1/0/0/0 0/0 "GET / HTTP/1.1"            served; the backend and server counts are already released
//	fe be/s1 0/0/0/1/1 200 147 SID=abc SID=srv123 --VN 1/1/0/0/0 0/0 "GET /setck HTTP/1.1"
//	fe2 none/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 1/1/0/0/0 0/0 "GET /x HTTP/1.1"  backend without a usable server
//	fe be/s1 0/0/0/-1/2002 504 198 - - sHNN 2/2/1/1/0 0/0 "GET /nf HTTP/1.1"        timeout server before the response head
//	fe fe/<NOSRV> -1/-1/-1/-1/0 400 0 - - CR-- 1/1/0/0/0 0/0 "<BADREQ>"              closed with nothing or a partial head
//	fe fe/<NOSRV> -1/-1/-1/-1/0 400 0 - - PR-- 1/1/0/0/0 0/0 "<BADREQ>"              invalid request, refused with a 400
//
// A connection closed with no byte at all is logged as the "CR--" line
// above unless `option dontlognull` is set (Record.Null); a keep-alive
// connection closed or timed out between requests logs nothing. Each
// request of a keep-alive connection logs its own line.
//
// # Lifetimes and concurrency
//
// The byte slices of a Record are views into the connection's buffers;
// AppendHTTPLog and LogHTTP read them only during the call, so they may
// be reused as soon as it returns. A Logger is safe for concurrent use by
// any number of event loops: queuing a line copies it into a slot of a
// fixed ring, never allocates and never waits; when the ring is full the
// line is dropped and counted. One goroutine per
// Logger frames the queued lines and writes them to the targets.
package accesslog
