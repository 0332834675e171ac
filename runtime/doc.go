// Package runtime is tether's runtime API: the HAProxy 2.6 compatible command
// line served on `stats socket` listeners, and the client side used by
// tetherctl.
//
// A Server accepts connections on one TCP or unix socket. Each connection is a
// session with an access level (user, operator or admin) that reads commands
// framed as HAProxy frames them (one per line, `;` between commands, `\`
// escapes, `prompt` mode, payloads after `<<`), looks each one up in the
// command table and replies with HAProxy's texts. Commands act on the proxy
// only through the Control interface. EngineControl implements it over a
// running tether engine, and ListenAll starts every `stats socket` of a
// configuration against one.
package runtime
