import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import UsherProxy

/// HTTP/0.9 request lines (`GET /`, no version): 400 at once, where the parser alone stayed
/// silent until the header timeout. Raw bytes through the connection's front handlers.
@Suite struct VersionlessRequestLineTests {
    /// (what, the reads, true if a 400 is expected at once).
    static let cases: [(String, [String], Bool)] = [
        ("a versionless line", ["GET /\r\n"], true),
        ("with a bare LF", ["GET /\n"], true),
        ("split over reads", ["GE", "T /x", "\r\n"], true),
        ("after blank lines", ["\r\n\r\nGET /\r\n"], true),
        ("in absolute form", ["GET http://a.example/x\r\n"], true),
        ("with fields after it", ["GET /\r\nHost: a\r\n\r\n"], true),
        ("in asterisk form", ["OPTIONS *\r\n"], true),
        ("after a blank line read alone", ["\r\n", "GET /\r\n"], true),
        ("split between its CR and LF", ["GET /\r", "\n"], true),
        ("a whole request", ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"], false),
        ("a request line split before its version", ["GET /x", " HTTP/1.1\r\nHost: a\r\n\r\n"], false),
        ("a head dribbled line by line", ["GET /x HTTP/1.1\r\n", "Host: a\r\n", "X-A: b /c\r\n", "\r\n"], false),
        ("a request line split within its version", ["GET /x HTT", "P/1.1\r\nHost: a\r\n\r\n"], false),
    ]

    @Test(arguments: cases)
    func answeredAtOnce(_ c: (String, [String], Bool)) throws {
        let t = ConnectionTimeoutHandlerTests()
        let (channel, recorder) = try t.makeChannel()
        for read in c.1 where channel.isActive { try channel.writeInbound(ByteBuffer(string: read)) }
        let out = try t.output(channel)
        if c.2 {
            #expect(out.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(c.0): \(out)")
            #expect(recorder.heads.isEmpty, "\(c.0)")
            #expect(!channel.isActive, "\(c.0)")
        } else {
            #expect(out.isEmpty, "\(c.0): \(out)")
            #expect(recorder.heads.count == 1 && channel.isActive, "\(c.0)")
        }
    }

    static func respond(_ channel: EmbeddedChannel) throws {
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok,
                                                                                 headers: ["content-length": "0"])))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
    }

    @Test func onAKeptAliveConnectionToo() throws {
        let t = ConnectionTimeoutHandlerTests()
        let (channel, recorder) = try t.makeChannel()
        try channel.writeInbound(ByteBuffer(string: "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"))
        try Self.respond(channel)
        _ = try t.output(channel)
        try channel.writeInbound(ByteBuffer(string: "GET /\r\n"))
        #expect(try t.output(channel).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(recorder.heads.map(\.uri) == ["/1"])
        #expect(!channel.isActive)
    }

    /// A pipelined head split across reads: what follows the split is no request line, even
    /// when it looks like one.
    @Test func theRestOfAPipelinedHeadIsNotMistakenForARequestLine() throws {
        let t = ConnectionTimeoutHandlerTests()
        let (channel, recorder) = try t.makeChannel()
        try channel.writeInbound(ByteBuffer(string: "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\nX-A: b"))
        try Self.respond(channel)
        _ = try t.output(channel)
        try channel.writeInbound(ByteBuffer(string: "c /d\r\n\r\n"))
        #expect(try t.output(channel).isEmpty)
        #expect(recorder.heads.map(\.uri) == ["/1", "/2"])
        #expect(recorder.heads.last?.headers["x-a"] == ["bc /d"])
        #expect(channel.isActive)
    }

    /// The rest of a body after an early response is no request line either.
    @Test func theRestOfABodyIsNotMistakenForARequestLine() throws {
        let t = ConnectionTimeoutHandlerTests()
        let (channel, recorder) = try t.makeChannel()
        try channel.writeInbound(ByteBuffer(string: "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n"))
        try Self.respond(channel) // answered before the body is in
        _ = try t.output(channel)
        try channel.writeInbound(ByteBuffer(string: "GET /x\r\n\r\n"))
        #expect(try t.output(channel).isEmpty)
        #expect(recorder.bodyBytes == 10 && channel.isActive)
    }
}
