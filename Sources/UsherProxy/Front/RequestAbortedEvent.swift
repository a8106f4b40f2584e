import NIOHTTP1

/// Sent inbound by the guard when it refuses a request whose head was already passed on (a
/// chunked body past the limit, bad chunking): the proxy handler drops the exchange (closes
/// the real server's connection, so the request is never complete there) and writes nothing.
struct RequestAbortedEvent: Sendable {
    /// What the client was answered (or would have been, had no response started).
    var status: HTTPResponseStatus
}
