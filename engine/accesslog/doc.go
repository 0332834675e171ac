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
//	lg.LogHTTP(&rec)
//
// AppendHTTPLog renders the same line into any buffer, and Log queues a
// line rendered elsewhere (for instance by AppendConnectLog).
//
// # Lifetimes and concurrency
//
// The byte slices of a Record are views into the connection's buffers;
// AppendHTTPLog and LogHTTP read them only during the call, so they may
// be reused as soon as it returns. A Logger is safe for concurrent use by
// any number of event loops: queuing a line copies it into a slot of a
// fixed ring, never allocates, never takes a lock and never waits; when
// the ring is full the line is dropped and counted. One goroutine per
// Logger frames the queued lines and writes them to the targets.
package accesslog
