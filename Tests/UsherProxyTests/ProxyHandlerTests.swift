import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
import UsherCore
@testable import UsherProxy

/// A client connection with the proxy's real handlers (timers, NIO's codec and pipelining
/// handler, the guard, the proxy handler) on an EmbeddedChannel: raw bytes in, what the
/// client gets out. Only answers the proxy gives itself: no real server is reached.
struct ProxiedChannel {
    let channel = EmbeddedChannel()
    let handler: ProxyHandler
    let stats: LoopServiceStats

    init(_ service: VirtualService) throws {
        let runtime = try ServiceRuntime(
            service, counters: ServiceCounters(), accessLog: try AccessLogSink(target: .none), certificates: nil,
            health: AlwaysUp(), logger: Logger(label: "test"), upstreamTLS: UpstreamTLSContext.make)
        let loopContext = LoopContext(loop: channel.embeddedEventLoop, tuning: ProxyTuning())
        try FrontPipeline.configure(channel, service: runtime, loopContext: loopContext, isHTTP2Stream: false)
        handler = try channel.pipeline.syncOperations.handler(type: ProxyHandler.self)
        stats = loopContext.statsView(for: runtime).service
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 40000)).wait()
    }

    func send(_ raw: String) throws {
        try channel.writeInbound(ByteBuffer(string: raw))
    }

    /// The response status lines written so far, in order (and the bytes consumed).
    func statusLines() throws -> [String] {
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let b) = data { text += String(buffer: b) }
        }
        // A local answer's body ends in a bare newline: the next status line follows it.
        return text.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("HTTP/1.") }.map(String.init)
    }
}

@Suite struct ProxyHandlerTests {
    static let noRoute = TestServices.http(pools: [], noDefaultPool: true)
    static let get = "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n"

    @Test func keepAliveRequestsAreAnsweredInTurnAndTheHandlerReturnsToIdle() throws {
        let c = try ProxiedChannel(Self.noRoute)
        try c.send(Self.get + Self.get)
        #expect(try c.statusLines() == ["HTTP/1.1 404 Not Found", "HTTP/1.1 404 Not Found"])
        #expect(c.handler.machine.phase == .idle && c.channel.isActive)
        #expect(c.stats.requests == 2 && c.stats.responses.clientError == 2)
        try c.send(Self.get)
        #expect(try c.statusLines() == ["HTTP/1.1 404 Not Found"])
    }

    /// Answered before its body came: the body is read and dropped, then the next request.
    @Test func aBodyAfterTheAnswerIsDroppedThenTheNextRequestIsServed() throws {
        let c = try ProxiedChannel(Self.noRoute)
        try c.send("POST /upload HTTP/1.1\r\nHost: a.example\r\nContent-Length: 10\r\n\r\n")
        #expect(try c.statusLines() == ["HTTP/1.1 404 Not Found"])
        #expect(c.handler.machine.phase == .discardingRequest)
        try c.send("01234")
        #expect(c.handler.machine.phase == .discardingRequest)
        try c.send("56789" + Self.get)
        #expect(try c.statusLines() == ["HTTP/1.1 404 Not Found"])
        #expect(c.handler.machine.phase == .idle && c.stats.requests == 2)
    }

    @Test func aClientThatAsksForACloseIsClosedAfterItsAnswer() throws {
        let c = try ProxiedChannel(Self.noRoute)
        try c.send("GET / HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n")
        #expect(try c.statusLines() == ["HTTP/1.1 404 Not Found"])
        #expect(!c.channel.isActive && c.handler.machine.phase == .closed)
    }

    @Test func aPoolWithNoMemberToTakeTheRequestAnswers503() throws {
        let drained = Pool(name: "p", members: [PoolMember(address: .v4(192, 0, 2, 10), port: 80, weight: 0)])
        let c = try ProxiedChannel(TestServices.http(pools: [drained]))
        try c.send(Self.get + Self.get)
        #expect(try c.statusLines() == ["HTTP/1.1 503 Service Unavailable", "HTTP/1.1 503 Service Unavailable"])
        #expect(c.handler.machine.phase == .idle && c.stats.responses.serverError == 2)
    }

    /// The guard refuses the body mid-request: the exchange is abandoned and the guard's 413
    /// is the client's answer (after the proxy's own 404 here, the connection closes).
    @Test func aBodyRefusedMidRequestEndsTheExchange() throws {
        let limits = HTTPLimits(maxBodyBytes: 4)
        let c = try ProxiedChannel(TestServices.http(pools: [], noDefaultPool: true, limits: limits))
        try c.send("POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(c.handler.machine.phase == .discardingRequest)
        try? c.send("8\r\n01234567\r\n0\r\n\r\n")
        #expect(c.handler.machine.phase == .closed)
        #expect(!c.channel.isActive)
    }
}
