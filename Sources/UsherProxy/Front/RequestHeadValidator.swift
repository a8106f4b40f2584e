import NIOHTTP1
import UsherCore

/// How a request's body is delimited, once its head has been checked.
enum BodyFraming: Equatable {
    case none
    case length(Int)
    case chunked
}

/// Why a request is refused before it reaches a real server.
struct Rejection: Equatable, Error {
    var status: HTTPResponseStatus
    /// A short sentence for the client and the access log.
    var reason: String
}

/// Checks a decoded request head against the service's limits and against everything that
/// makes a request mean different things to different parsers (request smuggling): it runs
/// after NIO's parser (llhttp), so a head that reaches a real server passed both.
///
/// - 414: request line longer than `maxRequestLineBytes`.
/// - 431: more than `maxHeaderCount` fields, or more than `maxHeaderBytes` of header lines.
/// - 413: a Content-Length above `maxBodyBytes` (chunked bodies are counted as they stream).
/// - 400: a path that cannot be normalised (`PathNormalizer`: encoded `/` or NUL, climbing
///   above the root); Content-Length repeated, not a plain decimal, or together with Transfer-Encoding;
///   Transfer-Encoding in HTTP/1.0 or malformed; no Host, or several, in HTTP/1.1; a control
///   character or space in the target; a field name that is not a token; a control character
///   in a field value.
/// - 501: a transfer coding other than `chunked` (RFC 9112 §6.1).
/// - 405: CONNECT (a reverse proxy does not tunnel).
/// - 505: an HTTP version other than 1.0 and 1.1 (400 for HTTP/0.9, a line with no version).
struct RequestHeadValidator: Sendable {
    let limits: HTTPLimits
    /// On an HTTP/2 stream (heads arrive as HTTP/2.0 from NIO's HTTP/2-to-HTTP/1 codec).
    var http2Stream = false

    func validate(_ head: HTTPRequestHead) -> Result<BodyFraming, Rejection> {
        let version = (head.version.major, head.version.minor)
        if version.0 == 0 {
            // What the parser makes of a line with no version when more bytes follow it.
            return .failure(.init(status: .badRequest, reason: "request line without an HTTP version (HTTP/0.9 is not served)"))
        }
        guard version == (1, 0) || version == (1, 1) || (http2Stream && version == (2, 0)) else {
            return .failure(.init(status: .httpVersionNotSupported, reason: "HTTP version not supported"))
        }
        // "METHOD SP target SP HTTP/1.1"
        let lineBytes = head.method.rawValue.utf8.count + 1 + head.uri.utf8.count + 9
        if lineBytes > limits.maxRequestLineBytes {
            return .failure(.init(status: .uriTooLong, reason: "request line longer than \(limits.maxRequestLineBytes) bytes"))
        }
        if head.headers.count > limits.maxHeaderCount {
            return .failure(.init(status: .requestHeaderFieldsTooLarge, reason: "more than \(limits.maxHeaderCount) header fields"))
        }
        var headerBytes = 0
        for (name, value) in head.headers {
            headerBytes += name.utf8.count + value.utf8.count + 4 // ": " and CRLF
            guard HTTPCharacters.isToken(name) else {
                return .failure(.init(status: .badRequest, reason: "invalid character in a header name"))
            }
            guard HTTPCharacters.isFieldValue(value) else {
                return .failure(.init(status: .badRequest, reason: "invalid character in the value of \(name)"))
            }
        }
        if headerBytes > limits.maxHeaderBytes {
            return .failure(.init(status: .requestHeaderFieldsTooLarge, reason: "header fields larger than \(limits.maxHeaderBytes) bytes"))
        }
        guard HTTPCharacters.isRequestTarget(head.uri) else {
            return .failure(.init(status: .badRequest, reason: "invalid request target"))
        }
        if head.method == .CONNECT {
            return .failure(.init(status: .methodNotAllowed, reason: "CONNECT is not served"))
        }
        if let r = RequestTarget(uri: head.uri, hostHeader: nil).pathRejection {
            return .failure(r)
        }
        if version == (1, 1) {
            // Counted, not collected: `headers["host"]` makes an array on every request.
            let hosts = head.headers.lazy.filter { ForwardingHeaders.equalsIgnoringASCIICase($0.name, "host") }.count
            guard hosts == 1 else {
                return .failure(.init(status: .badRequest, reason: hosts == 0 ? "no Host header" : "more than one Host header"))
            }
        }
        return framing(head)
    }

    private func framing(_ head: HTTPRequestHead) -> Result<BodyFraming, Rejection> {
        let lengths = head.headers["content-length"]
        let codings = head.headers["transfer-encoding"]
        if !codings.isEmpty {
            if !lengths.isEmpty {
                return .failure(.init(status: .badRequest, reason: "both Content-Length and Transfer-Encoding"))
            }
            if head.version != .http1_1 {
                return .failure(.init(status: .badRequest, reason: "Transfer-Encoding in an HTTP/\(head.version.major).\(head.version.minor) request"))
            }
            let tokens = codings.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
                .map { $0.trimmingHTTPWhitespace().lowercased() }
            guard !tokens.contains(where: \.isEmpty), tokens.allSatisfy(HTTPCharacters.isToken) else {
                return .failure(.init(status: .badRequest, reason: "malformed Transfer-Encoding"))
            }
            guard tokens == ["chunked"] else {
                if tokens.last != "chunked" || tokens.filter({ $0 == "chunked" }).count > 1 {
                    return .failure(.init(status: .badRequest, reason: "Transfer-Encoding does not end with a single chunked"))
                }
                return .failure(.init(status: .notImplemented, reason: "transfer coding other than chunked"))
            }
            return .success(.chunked)
        }
        guard !lengths.isEmpty else { return .success(.none) }
        guard lengths.count == 1 else {
            return .failure(.init(status: .badRequest, reason: "Content-Length repeated"))
        }
        let text = lengths[0]
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let n = Int(text) else {
            return .failure(.init(status: .badRequest, reason: "Content-Length is not a decimal number"))
        }
        if n > limits.maxBodyBytes {
            return .failure(.init(status: .payloadTooLarge, reason: "body larger than \(limits.maxBodyBytes) bytes"))
        }
        return .success(n == 0 ? .none : .length(n))
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (OWS).
    func trimmingHTTPWhitespace() -> SubSequence {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
