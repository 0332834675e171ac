// Package engine is tether's data plane on gnet event loops: an HTTP/1.1
// reverse proxy with HAProxy's cookie persistence (Engine, built from an
// engine/config Config), on a transport layer of its own.
//
// # The HTTP layer
//
// New builds an Engine: frontends (bind lines, use_backend rules evaluated
// without allocating, default_backend), backends whose servers, states,
// persistence table (package persist) and balancing table (engine/balance)
// live in an immutable snapshot behind an atomic pointer, and an access
// logger per frontend (engine/accesslog). Listen binds (or takes over a
// previous process's sockets), Serve runs. The control methods (control.go)
// build a new snapshot under one mutex and swap it in before returning;
// per-server counters survive the swaps. Servers given by name start from
// their init-addr, and from Serve to Stop one engine/dns Resolver per
// resolvers section in use resolves them, applying its changes through the
// same control methods (resolve.go).
//
// Each client connection (clientConn) reads a request head with the h1
// Scanner, copies it out of gnet's buffer, routes it, applies
// force-persist/ignore-persist, use-server and the Cookie fields, picks a
// server, and sends the head edited in place (hop-by-hop fields out, cookie
// edits, X-Forwarded-For) with one writev on a pooled or new server
// connection (serverConn) of the same loop. The response head gets the
// persistence response rules and the inserted Set-Cookie, bodies stream
// (Content-Length, chunked re-framed, close-delimited) with the Valve
// pausing whichever side runs ahead, and the server connection goes back
// to the loop's Pool. One request is in flight per client; pipelined ones
// wait in its inbox, and a client that sends more than a few buffers ahead
// is paused off the loop, as HAProxy stops reading (http_ahead.go).
// http-request and http-response rules edit heads and answer in the
// proxy's place (http_rules.go, http_rewrite.go, http_redirect.go), as do
// stats pages (stats_page.go). Failures are answered with HAProxy 2.6's
// own error replies (http_errors.go), after `retries`, `retry-on` (a
// request the server failed as it names goes again, retry.go) and
// `option redispatch`.
//
// # The transport layer
//
// A Server owns the gnet engine, its loops and its listeners. Every
// connection's events run on its loop's goroutine, and a client and its
// server connection share a loop, so their state is never locked. The
// pieces, all used on a loop unless said otherwise:
//
//   - Handler and Endpoint: Handler.Accept returns the Endpoint of each
//     accepted client with the client's *Loop; the Loop holds the per-loop
//     state (Loop.Data for the protocol layer's pools and counters, a coarse
//     clock, a timer wheel). Handler.Drain runs on each loop when a
//     graceful stop begins; Server.Draining tells whether one has.
//   - Listener: bind addresses as engine/config parsed them, accepted by
//     the Server's own goroutines and enrolled on the least loaded loop, so
//     a listener can be a socket inherited at reload (SendListeners,
//     ReceiveListeners, FetchListeners), accepting can stop while the loops
//     go on, and running out of descriptors never stops the engine.
//     RaiseNoFile and MaxConnFor size the connection limit, enforced when a
//     client opens.
//   - Upstream: a server connection dialled onto the client's loop, with a
//     connect timeout; the outcome comes to UpstreamHandler.OnConnect.
//   - ServerPool, Pool: the idle Upstreams of one server on one loop, in
//     HAProxy 2.6's idle and safe lists with its keep and purge rules
//     (pool.go); a pooled connection that closes or speaks leaves it.
//   - Timer: a timeout embedded in a connection struct, scheduled on the
//     loop's wheel (Loop.Schedule) without allocating.
//   - Forward: move buffered bytes from one connection to another.
//   - Valve: take a producer off the loop while its consumer's output backs
//     up, so memory stays bounded; CloseFlushed: close once output is sent.
//   - Tunnel: relay both ways off the loop after a 101 or in TCP mode.
//   - Tail: keep answering a client that shut down its write side.
//
// Callbacks follow three rules, because gnet closes a connection inside a
// Write that fails and runs its OnClose right there, in the middle of the
// caller's callback for another connection: after writing to the peer
// (Forward reports the failure), re-check your state before touching it
// again; close the peer with its asynchronous Close (Upstream.Close,
// gnet.Conn.Close) or CloseFlushed; end the current connection by returning
// gnet.Close from its callback.
//
// What gnet v2.10.0 imposes (see also the notes in the repository): a read
// of zero bytes closes the connection, so a client that shuts down its
// write side is closed at once (AdoptTail keeps its socket for the
// response; a Tunnel off the loop passes half closes on); bytes left in a
// connection's inbound buffer get no new OnTraffic, so whoever unblocks a
// connection must process what waits in it; and gnet's Close drops output
// the socket does not take at once.
package engine
