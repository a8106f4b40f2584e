import NIOHTTP1

/// The parts of a request the rules look at: host (lowercased, without port), the port the
/// client named (if any), the path without the query (normalised by `PathNormalizer`: what
/// the rules match and the real servers get), and the query.
struct RequestTarget: Equatable {
    var host: Substring
    var port: Substring?
    var path: Substring
    /// Why the path cannot be normalised (then `path` is as sent); the request guard refuses
    /// such requests before any rule runs.
    var pathRejection: Rejection?
    /// Including the leading `?`, or empty.
    var query: Substring

    /// Origin form (`/a?b`), asterisk form (`*`), or absolute form (`http://h:1/a?b`, whose
    /// authority wins over the Host header, RFC 9112 §3.2.2).
    init(uri: String, hostHeader: String?) {
        var rest = Substring(uri)
        var authority = hostHeader.map { Substring($0) } ?? ""
        // Origin form (the usual case) starts with "/": no scheme to look for.
        if rest.first != "/", let schemeEnd = rest.range(of: "://"), rest[..<schemeEnd.lowerBound].allSatisfy(\.isLetter) {
            let afterScheme = rest[schemeEnd.upperBound...]
            let pathStart = afterScheme.firstIndex { $0 == "/" || $0 == "?" } ?? afterScheme.endIndex
            authority = afterScheme[..<pathStart]
            rest = afterScheme[pathStart...]
            if rest.isEmpty || rest.first == "?" { rest = "/" + rest }
        }
        var rawPath: Substring
        if let q = rest.firstIndex(of: "?") {
            rawPath = rest[..<q]
            query = rest[q...]
        } else {
            rawPath = rest
            query = ""
        }
        switch PathNormalizer.normalize(rawPath) {
        case .success(let normal): rawPath = normal
        case .failure(let r): pathRejection = r
        }
        path = rawPath
        (host, port) = RequestTarget.split(authority: authority)
    }

    /// `Example.COM:8080` → (`example.com`, `8080`); `[2001:db8::1]:80` → (`[2001:db8::1]`, `80`).
    static func split(authority: Substring) -> (host: Substring, port: Substring?) {
        // Searched byte by byte (ASCII delimiters; UTF-8 indices are the substring's own):
        // Character iteration breaks graphemes, a cost on every request.
        var a = authority
        if let at = a.utf8.lastIndex(of: UInt8(ascii: "@")) { a = a[a.utf8.index(after: at)...] }
        var host = a
        var port: Substring?
        if a.utf8.first == UInt8(ascii: "[") {
            if let close = a.utf8.firstIndex(of: UInt8(ascii: "]")) {
                host = a[...close]
                let after = a[a.utf8.index(after: close)...]
                if after.utf8.first == UInt8(ascii: ":") { port = after[after.utf8.index(after: after.startIndex)...] }
            }
        } else if let colon = a.utf8.lastIndex(of: UInt8(ascii: ":")) {
            host = a[..<colon]
            port = a[a.utf8.index(after: colon)...]
        }
        if host.utf8.last == UInt8(ascii: ".") { host = host[..<host.utf8.index(before: host.endIndex)] }
        // Byte tests, not Unicode properties (a table lookup per character on every request):
        // ASCII capitals, or any non-ASCII byte, which `lowercased()` handles as before.
        if host.utf8.contains(where: { ($0 >= 0x41 && $0 <= 0x5A) || $0 >= 0x80 }) { host = Substring(host.lowercased()) }
        return (host, port.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// Path and query as sent to a real server (origin form).
    var originForm: String { path == "*" ? "*" : String(path) + query }
}
