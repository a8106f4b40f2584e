import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
import UsherCore
@testable import UsherProxy

/// Records what gets past the guard (what the proxy handler would see).
final class GuardRecorder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    var heads: [HTTPRequestHead] = []
    var bodyBytes = 0
    var ends = 0
    var aborted: [UInt] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): heads.append(h)
        case .body(let b): bodyBytes += b.readableBytes
        case .end: ends += 1
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? RequestAbortedEvent { aborted.append(e.status.code) }
    }
}

/// The HTTP/1 codec as the proxy configures it, then the guard, then a recorder: raw bytes
/// in, what the client gets and what the proxy handler would see out.
struct GuardedChannel {
    let channel = EmbeddedChannel()
    let recorder = GuardRecorder()

    init(limits: HTTPLimits) throws {
        try FrontPipeline.addHTTP1Codec(channel.pipeline.syncOperations, limits: limits)
        try channel.pipeline.syncOperations.addHandler(RequestGuardHandler(limits: limits))
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 80)).wait()
    }

    func send(_ raw: String) {
        _ = try? channel.writeInbound(ByteBuffer(string: raw))
    }

    /// Everything written to the client so far.
    func output() throws -> String {
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let b) = data { text += String(buffer: b) }
        }
        return text
    }

    /// The status of the first response written, if any.
    func status() throws -> Int? {
        let out = try output()
        guard out.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(out.dropFirst(9).prefix(3))
    }
}

@Suite struct RequestGuardHandlerTests {
    static let limits = HTTPLimits(maxRequestLineBytes: 100, maxHeaderBytes: 300, maxHeaderCount: 8, maxBodyBytes: 20)
    static let host = "Host: a.example\r\n"

    /// Requests refused at the head: (what, raw request, status). None may reach the proxy.
    static let refusedHeads: [(String, String, Int)] = [
        ("Content-Length with Transfer-Encoding",
         "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("two different Content-Lengths", "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
        ("two equal Content-Lengths", "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
        ("a Content-Length list", "POST / HTTP/1.1\r\n\(host)Content-Length: 5, 5\r\n\r\nhello", 400),
        ("a signed Content-Length", "POST / HTTP/1.1\r\n\(host)Content-Length: +5\r\n\r\nhello", 400),
        ("chunked not last", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400),
        ("chunked twice", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("an unknown coding before chunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        ("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("a space before the colon", "GET / HTTP/1.1\r\nHost : a.example\r\n\r\n", 400),
        ("a space in a field name", "GET / HTTP/1.1\r\n\(host)X Y: 1\r\n\r\n", 400),
        ("NUL in a field value", "GET / HTTP/1.1\r\n\(host)X-A: a\u{0}b\r\n\r\n", 400),
        ("a bare CR in a field value", "GET / HTTP/1.1\r\n\(host)X-A: a\rb\r\n\r\n", 400),
        ("an obsolete folded line", "GET / HTTP/1.1\r\n\(host)X-A: a\r\n b\r\n\r\n", 400),
        ("a control character in the target", "GET /a\u{1}b HTTP/1.1\r\n\(host)\r\n", 400),
        ("no Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400),
        ("two Hosts", "GET / HTTP/1.1\r\n\(host)\(host)\r\n", 400),
        ("an unknown version", "GET / HTTP/1.7\r\n\(host)\r\n", 505),
        ("garbage instead of a request", "\u{16}\u{3}\u{1}\u{0}\u{a5}\u{1}\u{0}\u{0}\u{a1}\u{3}\u{3}\r\n\r\n", 400),
        ("a request line over the limit", "GET /\(String(repeating: "a", count: 90)) HTTP/1.1\r\n\(host)\r\n", 414),
        ("more header fields than allowed", "GET / HTTP/1.1\r\n\(host)" + (1...8).map { "X-\($0): v\r\n" }.joined() + "\r\n", 431),
        ("header lines over the byte limit", "GET / HTTP/1.1\r\n\(host)X-A: \(String(repeating: "v", count: 300))\r\n\r\n", 431),
        ("a head past the parser's bound", "GET / HTTP/1.1\r\n\(host)X-A: \(String(repeating: "v", count: 2000))\r\n\r\n", 431),
        ("a Content-Length over the body limit", "POST / HTTP/1.1\r\n\(host)Content-Length: 21\r\n\r\n", 413),
        ("CONNECT", "CONNECT a.example:443 HTTP/1.1\r\n\(host)\r\n", 405),
    ]

    @Test(arguments: refusedHeads)
    func refusedBeforeTheProxySeesIt(_ c: (String, String, Int)) throws {
        let g = try GuardedChannel(limits: Self.limits)
        g.send(c.1)
        #expect(try g.status() == c.2, "\(c.0)")
        #expect(g.recorder.heads.isEmpty, "\(c.0): reached the proxy handler")
        #expect(!g.channel.isActive, "\(c.0): connection left open")
    }

    @Test func aGoodRequestPassesWithItsBody() throws {
        let g = try GuardedChannel(limits: Self.limits)
        g.send("POST /x HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        #expect(g.recorder.heads.count == 1 && g.recorder.bodyBytes == 5 && g.recorder.ends == 1)
        #expect(try g.output().isEmpty)
        #expect(g.channel.isActive)
    }

    /// Refused mid-body: the head already went to the proxy handler, which is told to abort
    /// (closing the real server's connection, so no complete request reaches it).
    @Test(arguments: [
        ("a chunked body over the limit", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n", 413),
        ("a chunk size that is not hex", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
        ("a chunk without its CRLF", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400),
    ])
    func refusedMidBodyAbortsTheExchange(_ c: (String, String, Int)) throws {
        let g = try GuardedChannel(limits: Self.limits)
        g.send(c.1)
        #expect(try g.status() == c.2, "\(c.0)")
        #expect(g.recorder.aborted == [UInt(c.2)], "\(c.0)")
        #expect(g.recorder.ends == 0, "\(c.0): a complete request reached the proxy handler")
        #expect(!g.channel.isActive)
    }

    @Test func smuggledSecondRequestNeverSurfaces() throws {
        // CL.TE smuggling: a parser that used Content-Length would see "GET /admin" as a second request.
        let g = try GuardedChannel(limits: Self.limits)
        g.send("POST / HTTP/1.1\r\n\(Self.host)Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n\(Self.host)\r\n")
        #expect(try g.status() == 400)
        #expect(g.recorder.heads.isEmpty)
    }

    @Test func aBadPipelinedRequestIsAnsweredAfterTheGoodOnesResponse() throws {
        let g = try GuardedChannel(limits: Self.limits)
        g.send("GET /ok HTTP/1.1\r\n\(Self.host)\r\nGET /bad HTTP/1.1\r\nHost : x\r\n\r\n")
        #expect(g.recorder.heads.map(\.uri) == ["/ok"])
        #expect(try g.output().isEmpty, "NIO holds the parser error until the first response ends")
        try g.channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok,
                                                                                 headers: ["content-length": "0"])))
        try g.channel.writeOutbound(HTTPServerResponsePart.end(nil))
        let out = try g.output()
        #expect(out.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(out.contains("HTTP/1.1 400 Bad Request\r\n"))
    }

    @Test func noSecondAnswerOnceTheResponseStarted() throws {
        let g = try GuardedChannel(limits: Self.limits)
        g.send("POST / HTTP/1.1\r\n\(Self.host)Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        #expect(g.recorder.heads.count == 1)
        // The proxy handler starts a response while the body is still coming...
        try g.channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        _ = try g.output()
        g.send("zz\r\n") // ...then the chunking breaks: only a close can tell the client.
        #expect(try g.output().isEmpty)
        #expect(g.recorder.aborted == [400])
        #expect(!g.channel.isActive)
    }
}
