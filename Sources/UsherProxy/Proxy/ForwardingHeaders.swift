import NIOCore
import NIOHTTP1
import UsherCore

/// Header handling between client and real server: hop-by-hop fields removed (RFC 9110
/// §7.6.1), `X-Forwarded-*` and `Forwarded` (RFC 7239) added, configured rewrites applied.
enum ForwardingHeaders {
    /// Fields that describe one connection, never forwarded, plus those `Connection` names.
    static let hopByHop = ["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade"]

    /// Fields the proxy needs end to end, kept whatever `Connection` names: `Host` (the rules
    /// route on it, the real server and `Forwarded`'s `host=` need it) and `Content-Length`
    /// (the body's framing: without it a real server would read the body as the next request).
    /// `Transfer-Encoding` is hop-by-hop and set again by the proxy where a body is chunked.
    static let endToEnd = ["host", "content-length"]

    /// Allocates nothing unless a field goes (then the one copy of the shared field list that
    /// any change makes) or `Connection` names a field longer than a small string.
    static func removeHopByHop(_ headers: inout HTTPHeaders) {
        // Most requests carry none of these: one pass over the names, no removal scans.
        guard headers.contains(where: { field in isHopByHop(field.name) }) else { return }
        var named: [String] = []
        for field in headers where equalsIgnoringASCIICase(field.name, "connection") {
            forEachListElement(of: field.value) { name in
                if !isHopByHop(name), !endToEnd.contains(where: { equalsIgnoringASCIICase(name, $0) }) { named.append(String(name)) }
            }
        }
        for name in named { removeIfPresent(name, from: &headers) }
        for name in hopByHop { removeIfPresent(name, from: &headers) }
    }

    static func isHopByHop<S: StringProtocol>(_ name: S) -> Bool {
        hopByHop.contains { equalsIgnoringASCIICase(name, $0) }
    }

    /// `HTTPHeaders.remove(name:)` copies a shared field list even when no field has the name:
    /// look first.
    static func removeIfPresent(_ name: String, from headers: inout HTTPHeaders) {
        if headers.contains(name: name) { headers.remove(name: name) }
    }

    /// The elements of a comma-separated list (RFC 9110 §5.6.1), without surrounding spaces
    /// and tabs, empty ones skipped; as slices of `value`, nothing allocated.
    static func forEachListElement(of value: String, _ body: (Substring) -> Void) {
        var rest = Substring(value)
        while !rest.isEmpty {
            let comma = rest.utf8.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
            let element = rest[..<comma].trimmingHTTPWhitespace()
            if !element.isEmpty { body(element) }
            rest = comma == rest.endIndex ? rest[comma...] : rest[rest.utf8.index(after: comma)...]
        }
    }

    /// `name` is `lowercase` but for ASCII case (`lowercase` is lowercase ASCII).
    static func equalsIgnoringASCIICase<S: StringProtocol>(_ name: S, _ lowercase: String) -> Bool {
        guard name.utf8.count == lowercase.utf8.count else { return false }
        return zip(name.utf8, lowercase.utf8).allSatisfy { a, b in a == b || (a >= 0x41 && a <= 0x5A && a | 0x20 == b) }
    }

    /// Removals first, then sets (each replacing any field of its name).
    static func apply(_ rewrite: HeaderRewrite, to headers: inout HTTPHeaders) {
        for name in rewrite.namesToRemove { headers.remove(name: name) }
        for field in rewrite.fieldsToSet { headers.replaceOrAdd(name: field.name, value: field.value) }
    }

    /// `X-Forwarded-For` gets the client appended; `X-Forwarded-Proto` is set; `Forwarded`
    /// gets an element `for=…;host=…;proto=…` appended (IPv6 quoted and bracketed; `host` is the
    /// Host header as the client sent it, quoted when it has a port).
    static func addForwarded(to headers: inout HTTPHeaders, client: SocketAddress?, scheme: String, host: Substring?) {
        let ip = client?.unmappedIPAddress
        if let ip {
            let existing = headers["x-forwarded-for"]
            if existing.isEmpty {
                headers.add(name: "x-forwarded-for", value: ip)
            } else {
                headers.replaceOrAdd(name: "x-forwarded-for", value: existing.joined(separator: ", ") + ", " + ip)
            }
        }
        headers.replaceOrAdd(name: "x-forwarded-proto", value: scheme)
        var element = "for="
        if let ip {
            element += ip.contains(":") ? "\"[\(ip)]\"" : ip
        } else {
            element += "unknown"
        }
        if let host, !host.isEmpty {
            if host.utf8.allSatisfy(HTTPCharacters.isTokenByte) {
                element += ";host=\(host)"
            } else if !host.contains("\""), !host.contains("\\") {
                element += ";host=\"\(host)\""
            }
        }
        element += ";proto=" + scheme
        let existing = headers["forwarded"]
        if existing.isEmpty {
            headers.add(name: "forwarded", value: element)
        } else {
            headers.replaceOrAdd(name: "forwarded", value: existing.joined(separator: ", ") + ", " + element)
        }
    }
}

extension SocketAddress {
    /// The address as text, with `::ffff:a.b.c.d` shown as `a.b.c.d`.
    var unmappedIPAddress: String? {
        guard let text = ipAddress else { return nil }
        if case .v6 = self, text.hasPrefix("::ffff:"), text.dropFirst(7).contains(".") {
            return String(text.dropFirst(7))
        }
        return text
    }
}
