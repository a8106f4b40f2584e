import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
import UsherCore
@testable import UsherProxy

@Suite struct RequestBodyClockTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test func aStoppedBodyRunsOutAfterTheTimeout() {
        var c = RequestBodyClock(timeout: .seconds(10), minRate: 100)
        c.headPassed()
        #expect(c.deadline == nil, "no read asked for yet: the clock stands still")
        c.readRequested(at: start)
        #expect(c.deadline == start + .seconds(10))
        #expect(!c.isExhausted(at: start + .milliseconds(9999)))
        #expect(c.isExhausted(at: start + .seconds(10)))
    }

    @Test func bytesEarnCreditAtTheMinimumRateUpToTheTimeout() {
        var c = RequestBodyClock(timeout: .seconds(10), minRate: 100)
        c.headPassed()
        c.readRequested(at: start)
        c.bodyReceived(50, at: start + .seconds(4)) // 4 s used, 0.5 s earned
        #expect(c.credit == .milliseconds(6500))
        #expect(c.deadline == nil, "the proxy has not asked for more yet")
        c.readRequested(at: start + .seconds(5)) // the second between is the proxy's, not counted
        #expect(c.deadline == start + .seconds(5) + .milliseconds(6500))
        c.bodyReceived(100_000, at: start + .seconds(6))
        #expect(c.credit == .seconds(10), "never above the timeout")
    }

    @Test func aTrickleBelowTheRateRunsOut() {
        // 1 byte a second against 100 bytes/s: 0.99 s lost each second.
        var c = RequestBodyClock(timeout: .seconds(2), minRate: 100)
        c.headPassed()
        var now = start
        var seconds = 0
        while seconds < 100 {
            c.readRequested(at: now)
            if c.isExhausted(at: now + .seconds(1)) { break }
            now = now + .seconds(1)
            c.bodyReceived(1, at: now)
            seconds += 1
        }
        #expect(seconds == 2, "ran out in the third second")
    }

    @Test func rateZeroIsATimeoutBetweenReads() {
        var c = RequestBodyClock(timeout: .seconds(2), minRate: 0)
        c.headPassed()
        c.readRequested(at: start)
        c.bodyReceived(1, at: start + .milliseconds(1900))
        #expect(c.credit == .seconds(2))
        c.ended()
        c.readRequested(at: start + .seconds(3))
        #expect(c.deadline == nil, "nothing awaited after the end")
    }
}

/// The guard's body clock on the HTTP/1 codec, time advanced by hand; `channel.read()` stands
/// for the proxy handler asking for more of the client.
@Suite struct RequestBodyTimeoutGuardTests {
    static let limits = HTTPLimits(bodyTimeoutSeconds: 1, minBodyRate: 100)
    let g: GuardedChannel
    var c: EmbeddedChannel { g.channel }
    var loop: EmbeddedEventLoop { g.channel.embeddedEventLoop }

    init() throws {
        g = try GuardedChannel(limits: Self.limits)
    }

    static let head = "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n"

    @Test func aBodyThatStopsGets408() throws {
        g.send(Self.head + "abc")
        c.read()
        loop.advanceTime(by: .milliseconds(900))
        #expect(try g.output().isEmpty && c.isActive)
        loop.advanceTime(by: .milliseconds(200))
        #expect(try g.output().hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(g.recorder.aborted == [408], "the proxy handler drops the exchange (and the real server's connection)")
        #expect(g.recorder.ends == 0)
        #expect(!c.isActive)
    }

    @Test func timeTheProxyHoldsTheClientBackIsNotCounted() throws {
        g.send(Self.head)
        loop.advanceTime(by: .seconds(5)) // no read asked for: a real server not taking the body
        #expect(c.isActive && g.recorder.aborted.isEmpty)
        c.read()
        loop.advanceTime(by: .milliseconds(1100))
        #expect(g.recorder.aborted == [408])
    }

    @Test func aBodyAtTheRateGoesThrough() throws {
        g.send(Self.head)
        for _ in 0..<20 { // 5 bytes every 50 ms: 100 bytes/s, for 1 s
            c.read()
            loop.advanceTime(by: .milliseconds(50))
            g.send("xxxxx")
        }
        #expect(g.recorder.ends == 1 && g.recorder.bodyBytes == 100)
        loop.advanceTime(by: .seconds(5))
        #expect(c.isActive && g.recorder.aborted.isEmpty, "no clock runs once the body is in")
    }

    @Test func onceAResponseStartedOnlyACloseTellsTheClient() throws {
        g.send(Self.head)
        try c.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        _ = try g.output()
        c.read()
        loop.advanceTime(by: .milliseconds(1100))
        #expect(try g.output().isEmpty)
        #expect(g.recorder.aborted == [408])
        #expect(!c.isActive)
    }
}
