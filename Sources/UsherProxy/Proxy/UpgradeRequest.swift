import NIOHTTP1

/// What a request asks by `Upgrade` (RFC 9110 §7.8), as the proxy treats it.
enum UpgradeRequest: Equatable {
    /// No upgrade: an ordinary request.
    case none
    /// A WebSocket handshake (HTTP/1.1 GET, `Connection: upgrade`, `Upgrade: websocket`, no
    /// body): forwarded with its upgrade fields, spliced as raw bytes if the real answers 101.
    case websocket
    /// Any other upgrade (`h2c`, `TLS/1.0`, a body on the handshake…): forwarded as a plain
    /// request with `Upgrade` removed.
    case refused

    /// `parserStops`: NIO's parser (llhttp) takes the request as an upgrade and stops parsing
    /// after it: true when it has an `Upgrade` field and `Connection` names `upgrade`. Bytes
    /// after such a request are not parsed until the parser is restarted.
    init(_ head: HTTPRequestHead, framing: BodyFraming) {
        guard head.version.major == 1, head.headers.contains(name: "upgrade"),
              head.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "upgrade" }) else {
            self = .none
            return
        }
        let wantsWebSocket = head.headers[canonicalForm: "upgrade"].contains { $0.lowercased() == "websocket" }
        if wantsWebSocket, head.method == .GET, head.version.minor == 1, framing == .none {
            self = .websocket
        } else {
            self = .refused
        }
    }

    /// NIO's parser stopped after this request: it must be restarted if the connection goes on
    /// as HTTP.
    var parserStopped: Bool { self != .none }
}
