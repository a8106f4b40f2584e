import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
import UsherCore
@testable import UsherProxy

@Suite struct ConnectionTimeoutStateTests {
    @Test func slowHeadGets408QuietConnectionJustCloses() {
        var s = ConnectionTimeoutState()
        #expect(s.opened() == .arm(.header))
        #expect(s.bytesReceived() == .none, "the header timer runs from accept")
        #expect(s.timerFired(.header) == .respondTimeoutAndClose)

        var quiet = ConnectionTimeoutState()
        #expect(quiet.timerFired(.header) == .close)
    }

    @Test func keepAliveCycle() {
        var s = ConnectionTimeoutState()
        #expect(s.headReceived() == .cancelTimer)
        #expect(s.timerFired(.header) == .none, "a stale timer does nothing")
        #expect(s.responseCompleted() == .arm(.idle))
        #expect(s.bytesReceived() == .arm(.header), "the first byte of the next head starts the header timer")
        #expect(s.timerFired(.idle) == .none)
        #expect(s.headReceived() == .cancelTimer)
    }

    @Test func pipelinedHeadsCountedWhicheverOrderEventsArrive() {
        var s = ConnectionTimeoutState()
        _ = s.headReceived()
        _ = s.headReceived() // pipelined second request delivered before the first response ends
        #expect(s.responseCompleted() == .none)
        #expect(s.responseCompleted() == .arm(.idle))
    }
}

@Suite struct ConnectionTimeoutHandlerTests {
    let limits = HTTPLimits(headerTimeoutSeconds: 2, idleTimeoutSeconds: 5)
    let loop = EmbeddedEventLoop()

    func makeChannel() throws -> (EmbeddedChannel, GuardRecorder) {
        let channel = EmbeddedChannel(loop: loop)
        let recorder = GuardRecorder()
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(ConnectionTimeoutHandler(headerTimeout: .seconds(2), idleTimeout: .seconds(5)))
        try FrontPipeline.addHTTP1Codec(sync, limits: limits)
        try sync.addHandler(RequestGuardHandler(limits: limits))
        try sync.addHandler(recorder)
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 80)).wait()
        return (channel, recorder)
    }

    func output(_ c: EmbeddedChannel) throws -> String {
        var text = ""
        while let data = try c.readOutbound(as: IOData.self) {
            if case .byteBuffer(let b) = data { text += String(buffer: b) }
        }
        return text
    }

    @Test func slowlorisGets408AfterTheHeaderTimeout() throws {
        let (c, recorder) = try makeChannel()
        try c.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n"))
        loop.advanceTime(by: .milliseconds(1900))
        try c.writeInbound(ByteBuffer(string: "X-A: 1\r\n")) // dribbling does not extend it
        #expect(c.isActive)
        loop.advanceTime(by: .milliseconds(200))
        #expect(try output(c).hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(!c.isActive)
        #expect(recorder.heads.isEmpty)
    }

    @Test func silentConnectionClosedWithoutAWord() throws {
        let (c, _) = try makeChannel()
        loop.advanceTime(by: .seconds(2))
        #expect(try output(c).isEmpty)
        #expect(!c.isActive)
    }

    @Test func servingStopsTimersAndIdleFollowsTheResponse() throws {
        let (c, recorder) = try makeChannel()
        try c.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(recorder.heads.count == 1)
        loop.advanceTime(by: .seconds(30)) // a slow real server is not the client's fault
        #expect(c.isActive)
        try c.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok,
                                                                           headers: ["content-length": "0"])))
        try c.writeOutbound(HTTPServerResponsePart.end(nil))
        _ = try output(c)
        loop.advanceTime(by: .milliseconds(4900))
        #expect(c.isActive)
        loop.advanceTime(by: .milliseconds(100))
        #expect(!c.isActive, "kept-alive connection idle past the idle timeout")
        #expect(try output(c).isEmpty)
    }

    @Test func theNextHeadHasTheHeaderTimeoutAgain() throws {
        let (c, _) = try makeChannel()
        try c.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        try c.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok,
                                                                           headers: ["content-length": "0"])))
        try c.writeOutbound(HTTPServerResponsePart.end(nil))
        loop.advanceTime(by: .seconds(4))
        try c.writeInbound(ByteBuffer(string: "GET /"))
        loop.advanceTime(by: .seconds(2))
        #expect(try output(c).contains("408"))
        #expect(!c.isActive)
    }

    /// The handler leaves its one timer task in place across requests (a task per request
    /// would be an allocation each): deadlines must hold all the same, neither early nor late.
    @Test func deadlinesHoldAcrossQuickKeepAliveRequests() throws {
        let (c, recorder) = try makeChannel()
        for n in 1...5 {
            loop.advanceTime(by: .milliseconds(1500)) // idle, under the header timeout (2 s) at first
            try c.writeInbound(ByteBuffer(string: "GET /\(n) HTTP/1.1\r\nHost: a\r\n\r\n"))
            loop.advanceTime(by: .seconds(3)) // serving: a task armed earlier fires and does nothing
            #expect(c.isActive, "request \(n)")
            try c.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok,
                                                                               headers: ["content-length": "0"])))
            try c.writeOutbound(HTTPServerResponsePart.end(nil))
        }
        #expect(recorder.heads.count == 5)
        _ = try output(c)
        // A dribbled head after 4 s of idle has its own 2 s, not what is left of the idle 5 s.
        loop.advanceTime(by: .seconds(4))
        try c.writeInbound(ByteBuffer(string: "GET /"))
        loop.advanceTime(by: .milliseconds(1900))
        #expect(c.isActive)
        loop.advanceTime(by: .milliseconds(100))
        #expect(try output(c).contains("408"))
        #expect(!c.isActive)
    }

    @Test func idleDeadlineCountsFromTheLastResponse() throws {
        let (c, _) = try makeChannel()
        for _ in 1...3 {
            try c.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
            loop.advanceTime(by: .seconds(1))
            try c.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok,
                                                                               headers: ["content-length": "0"])))
            try c.writeOutbound(HTTPServerResponsePart.end(nil))
            loop.advanceTime(by: .seconds(4)) // idle, under 5 s
            #expect(c.isActive)
        }
        #expect(try output(c).components(separatedBy: "HTTP/1.1 200 OK").count == 4)
        loop.advanceTime(by: .milliseconds(900))
        #expect(c.isActive)
        loop.advanceTime(by: .milliseconds(100))
        #expect(!c.isActive, "closed 5 s after the last response")
        #expect(try output(c).isEmpty)
    }

    /// The guard tells the timeout handler by a call: no user event crosses the handlers in
    /// between (three did per request), and the timers behave as before.
    @Test func theGuardCallsTheTimeoutHandlerNoEventCrossesThePipeline() throws {
        let channel = EmbeddedChannel(loop: loop)
        let events = OutboundEventRecorder()
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(ConnectionTimeoutHandler(headerTimeout: .seconds(2), idleTimeout: .seconds(5)))
        try sync.addHandler(events)
        try FrontPipeline.addHTTP1Codec(sync, limits: limits)
        try sync.addHandler(RequestGuardHandler(limits: limits))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 80)).wait()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        loop.advanceTime(by: .seconds(30)) // serving: neither timer runs
        #expect(channel.isActive)
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok,
                                                                                 headers: ["content-length": "0"])))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(events.count == 0)
        loop.advanceTime(by: .seconds(5))
        #expect(!channel.isActive, "the idle timeout ran from the response's end")
    }

    /// Without a guard that found it, the handler still takes the events.
    @Test func theEventsStillWork() throws {
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandler(ConnectionTimeoutHandler(headerTimeout: .seconds(2), idleTimeout: .seconds(5)))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 80)).wait()
        channel.pipeline.triggerUserOutboundEvent(ConnectionTimeoutEvent.headReceived, promise: nil)
        loop.advanceTime(by: .seconds(30))
        #expect(channel.isActive)
        channel.pipeline.triggerUserOutboundEvent(ConnectionTimeoutEvent.responseCompleted, promise: nil)
        loop.advanceTime(by: .seconds(5))
        #expect(!channel.isActive)
    }
}

/// Counts the outbound user events that pass it.
final class OutboundEventRecorder: ChannelOutboundHandler {
    typealias OutboundIn = NIOAny
    var count = 0

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        count += 1
        context.triggerUserOutboundEvent(event, promise: promise)
    }
}
