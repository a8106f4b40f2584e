import NIOCore
import NIOHTTP1
import Testing
@testable import UsherProxy

/// A real server's connection as the machine sees it: whether it takes bytes, and whether a
/// close now would be its keep-alive timeout racing the request.
final class StandInUpstream: ExchangeUpstream {
    var isWritable = true
    var reusedAndSilent = false
}

typealias Machine = ExchangeStateMachine<StandInUpstream>

/// The exchange state machine alone: every transition, the keep-alive decisions, and each
/// event that cannot happen in a state, without a channel.
@Suite struct ExchangeStateMachineTests {
    static func exchange(_ headers: HTTPHeaders = ["host": "a.example"], method: HTTPMethod = .GET,
                         version: HTTPVersion = .http1_1) -> Exchange {
        let head = HTTPRequestHead(version: version, method: method, uri: "/", headers: headers)
        return Exchange(head: head, framing: BodyFraming(validatedHead: head), now: .now())
    }

    static func response(_ status: HTTPResponseStatus = .ok, _ headers: HTTPHeaders = [:]) -> HTTPResponseHead {
        HTTPResponseHead(version: .http1_1, status: status, headers: headers)
    }

    /// A machine forwarding `ex` on `upstream`, the request's end not yet read.
    static func forwarding(_ ex: Exchange, _ upstream: StandInUpstream) -> Machine {
        var m = Machine()
        _ = m.requestHead(ex)
        _ = m.connectStarted()
        _ = m.connected(upstream)
        return m
    }

    @Test func aKeepAliveExchangeGoesRoundToIdle() {
        var m = Machine()
        let ex = Self.exchange()
        let up = StandInUpstream()
        guard case .route = m.requestHead(ex) else { Issue.record("head not routed"); return }
        #expect(m.phase == .routed && m.exchange === ex)
        let attempt = m.connectStarted()
        #expect(attempt != nil && m.phase == .connecting && m.isAwaiting(attempt: attempt!))
        guard case .send(let sent) = m.connected(up) else { Issue.record("connection not used"); return }
        #expect(sent === ex && m.phase == .forwarding && m.upstream === up)
        guard case .forward(let endTo, let readAhead) = m.requestEnd() else { Issue.record("end not forwarded"); return }
        #expect(endTo === up && readAhead)
        guard case .forward = m.responseHead(Self.response()) else { Issue.record("head not forwarded"); return }
        #expect(m.forwarding?.responseStarted == true)
        guard case .forward(let bodyOf) = m.responseBody() else { Issue.record("body not forwarded"); return }
        #expect(bodyOf === ex)
        guard case .complete(_, let released, let reuse) = m.responseEnd() else { Issue.record("not completed"); return }
        #expect(released === up && reuse && m.phase == .routed)
        let after = m.responseEnding()
        #expect(after == .nextRequest(restartParser: false))
        #expect(m.phase == .idle && m.exchange == nil)
        m.responseEndWritten()
        guard case .route = m.requestHead(Self.exchange()) else { Issue.record("next head refused"); return }
    }

    @Test func theRealsConnectionIsReusedOnlyIfItKeepsItAndTheRequestEnded() {
        var closing = Self.forwarding(Self.exchange(), StandInUpstream())
        _ = closing.requestEnd()
        _ = closing.responseHead(Self.response(.ok, ["connection": "close"]))
        guard case .complete(_, _, let reuseClosing) = closing.responseEnd() else { Issue.record("not completed"); return }
        #expect(!reuseClosing)

        // The response ends before the request: the real's connection has half a request on it.
        var early = Self.forwarding(Self.exchange(["host": "a", "content-length": "9"], method: .POST), StandInUpstream())
        _ = early.responseHead(Self.response())
        guard case .complete(_, _, let reuseEarly) = early.responseEnd() else { Issue.record("not completed"); return }
        #expect(!reuseEarly)
        let afterEarly = early.responseEnding()
        #expect(afterEarly == .discardRequestBody && early.phase == .discardingRequest)
        guard case .drop = early.requestBody() else { Issue.record("body after the response not dropped"); return }
        let nextAfterBody = early.requestEnd().isNextRequest(restartParser: false)
        #expect(nextAfterBody && early.phase == .idle)
    }

    @Test func aClientThatDoesNotKeepTheConnectionIsClosedAfterTheResponse() {
        for ex in [Self.exchange(["host": "a"], version: .http1_0), Self.exchange(["host": "a", "connection": "close"])] {
            var m = Machine()
            _ = m.requestHead(ex)
            let after = m.responseEnding()
            #expect(after == .close && m.phase == .closed)
            guard case .ignore = m.requestHead(Self.exchange()) else { Issue.record("head after close not ignored"); return }
            guard case .drop = m.requestEnd() else { Issue.record("end after close not dropped"); return }
        }
        var http10 = Machine()
        _ = http10.requestHead(Self.exchange(["host": "a", "connection": "keep-alive"], version: .http1_0))
        _ = http10.requestEnd()
        let after = http10.responseEnding()
        #expect(after == .nextRequest(restartParser: false))
    }

    @Test func anUpgradeThatWasNotSplicedRestartsTheParser() {
        var m = Machine()
        _ = m.requestHead(Self.exchange(["host": "a", "connection": "upgrade", "upgrade": "h2c"]))
        _ = m.requestEnd()
        let after = m.responseEnding()
        #expect(after == .nextRequest(restartParser: true))
        var discarding = Machine()
        _ = discarding.requestHead(Self.exchange(["host": "a", "connection": "upgrade", "upgrade": "websocket"]))
        let afterDiscarding = discarding.responseEnding()
        #expect(afterDiscarding == .discardRequestBody)
        let nextAfterBody = discarding.requestEnd().isNextRequest(restartParser: true)
        #expect(nextAfterBody)
    }

    @Test func partsAreQueuedAndReadsHeldWhileConnecting() {
        var m = Machine()
        let ex = Self.exchange(["host": "a", "content-length": "3"], method: .POST)
        _ = m.requestHead(ex)
        _ = m.connectStarted()
        guard case .hold = m.readRequested() else { Issue.record("read while connecting"); return }
        guard case .queue(let queuedIn) = m.requestBody() else { Issue.record("body not queued"); return }
        guard case .queue(_, let readAhead) = m.requestEnd() else { Issue.record("end not queued"); return }
        #expect(queuedIn === ex && readAhead)
        _ = m.connected(StandInUpstream())
        #expect(m.forwarding?.request == .init(ended: true, bodySent: true))
        let resumed = m.heldReadMayResume()
        #expect(resumed)
        let resumedAgain = m.heldReadMayResume()
        #expect(!resumedAgain, "a held read is made once")
    }

    @Test func theClientIsReadOnlyWhileTheRealTakesBytes() {
        let up = StandInUpstream()
        var m = Self.forwarding(Self.exchange(["host": "a", "content-length": "9"], method: .POST), up)
        up.isWritable = false
        guard case .hold = m.readRequested() else { Issue.record("read a client the real cannot take"); return }
        up.isWritable = true
        guard case .read = m.readRequested() else { Issue.record("held a read with a writable real"); return }
        guard case .forward = m.requestBody() else { Issue.record("body not forwarded"); return }
        guard case .flush(let flushed) = m.clientReadComplete() else { Issue.record("body not flushed"); return }
        #expect(flushed === up)
        guard case .none = m.clientReadComplete() else { Issue.record("flushed twice"); return }
    }

    @Test func aConnectionThatCompletesAfterItsExchangeEndedIsNotUsed() {
        var m = Machine()
        let ex = Self.exchange()
        _ = m.requestHead(ex)
        let attempt = m.connectStarted()!
        guard case .abandon(let abandoned, let up, let started) = m.clientClosed() else { Issue.record("not abandoned"); return }
        #expect(abandoned === ex && up == nil && !started)
        #expect(!m.isAwaiting(attempt: attempt) && m.phase == .closed)
        guard case .ignore = m.connected(StandInUpstream()) else { Issue.record("late connection used"); return }
        guard case .none = m.clientClosed() else { Issue.record("abandoned twice"); return }
    }

    @Test func aFailedConnectTriesAnotherMemberOnceThenAnswers() {
        var m = Machine()
        _ = m.requestHead(Self.exchange())
        let first = m.connectStarted()!
        guard case .tryAnotherMember = m.connectFailed() else { Issue.record("no second member tried"); return }
        #expect(m.phase == .routed)
        let second = m.connectStarted()!
        #expect(second != first && !m.isAwaiting(attempt: first))
        guard case .respond = m.connectFailed() else { Issue.record("a third member tried"); return }
        #expect(m.phase == .routed)
        let after = m.responseEnding()
        #expect(after == .discardRequestBody)
    }

    @Test func aReusedConnectionClosedBeforeAnsweringIsTriedOnceMoreForIdempotentRequests() {
        let up = StandInUpstream()
        up.reusedAndSilent = true
        var m = Self.forwarding(Self.exchange(), up)
        guard case .sendAgain(_, let closed) = m.upstreamFailed() else { Issue.record("not sent again"); return }
        #expect(closed === up && m.phase == .routed)
        _ = m.connectStarted()
        _ = m.connected(up)
        guard case .respond = m.upstreamFailed() else { Issue.record("sent a third time"); return }

        var post = Self.forwarding(Self.exchange(["host": "a"], method: .POST), up)
        guard case .respond = post.upstreamFailed() else { Issue.record("a POST sent again"); return }
        var withBody = Self.forwarding(Self.exchange(["host": "a", "content-length": "1"], method: .PUT), up)
        _ = withBody.requestBody()
        guard case .respond = withBody.upstreamFailed() else { Issue.record("a sent body sent again"); return }
        up.reusedAndSilent = false
        var fresh = Self.forwarding(Self.exchange(), up)
        guard case .respond = fresh.upstreamFailed() else { Issue.record("a new connection's close retried"); return }
    }

    @Test func aRealLostAfterTheResponseStartedClosesTheClient() {
        for timedOut in [false, true] {
            let up = StandInUpstream()
            up.reusedAndSilent = true
            var m = Self.forwarding(Self.exchange(), up)
            _ = m.responseHead(Self.response())
            let action = timedOut ? m.upstreamTimedOut() : m.upstreamFailed()
            guard case .closeClient(_, let closed) = action else { Issue.record("client not closed"); return }
            #expect(closed === up && m.phase == .closed)
        }
        var silent = Self.forwarding(Self.exchange(), StandInUpstream())
        guard case .respond = silent.upstreamTimedOut() else { Issue.record("no 504"); return }
        #expect(silent.phase == .routed)
    }

    @Test func onlyAnAcceptedWebSocketHandshakeBecomesATunnel() {
        let ws = Self.exchange(["host": "a", "connection": "upgrade", "upgrade": "websocket"])
        var m = Self.forwarding(ws, StandInUpstream())
        _ = m.requestEnd()
        guard case .forward = m.responseHead(Self.response(.switchingProtocols, ["upgrade": "websocket"])) else {
            Issue.record("101 not forwarded"); return
        }
        guard case .tunnel = m.responseEnd() else { Issue.record("no tunnel"); return }
        #expect(m.phase == .tunneled)

        var unasked = Self.forwarding(Self.exchange(), StandInUpstream())
        guard case .refuseSwitch = unasked.responseHead(Self.response(.switchingProtocols, ["upgrade": "websocket"])) else {
            Issue.record("unasked 101 forwarded"); return
        }
        #expect(unasked.phase == .routed)
        var otherProtocol = Self.forwarding(ws, StandInUpstream())
        guard case .refuseSwitch = otherProtocol.responseHead(Self.response(.switchingProtocols, ["upgrade": "h2c"])) else {
            Issue.record("101 to another protocol forwarded"); return
        }
    }

    @Test func aRequestRefusedMidBodyAbandonsItsExchange() {
        let up = StandInUpstream()
        var m = Self.forwarding(Self.exchange(["host": "a", "content-length": "99"], method: .POST), up)
        _ = m.responseHead(Self.response())
        guard case .abandon(_, let closed, let started) = m.requestAborted() else { Issue.record("not abandoned"); return }
        #expect(closed === up && started && m.phase == .closed)
        guard case .drop = m.requestBody() else { Issue.record("body after abort not dropped"); return }
        guard case .ignore = m.responseBody() else { Issue.record("response after abort forwarded"); return }
    }

    /// What a client could send out of order (the guard and NIO's pipelining handler stop it
    /// before): the machine closes the connection, saying why.
    @Test func eventsOutOfOrderCloseTheConnectionWithAReason() {
        var forwarding = Self.forwarding(Self.exchange(), StandInUpstream())
        guard case .close(let after) = forwarding.requestHead(Self.exchange()) else { Issue.record("second head taken"); return }
        var idleBody = Machine()
        guard case .close(let afterEarly) = idleBody.requestBody() else { Issue.record("body without head taken"); return }
        var idleEnd = Machine()
        guard case .close(let nextAfterBody) = idleEnd.requestEnd() else { Issue.record("end without head taken"); return }
        var discarding = Machine()
        _ = discarding.requestHead(Self.exchange())
        _ = discarding.responseEnding()
        guard case .close(let after) = discarding.requestHead(Self.exchange()) else { Issue.record("head mid-body taken"); return }
        for reason in [after, afterEarly, nextAfterBody, after] { #expect(reason.contains("request")) }
        #expect(idleBody.phase == .idle, "the handler closes; the machine's state is left for the teardown")

        var idle = Machine()
        guard case .ignore = idle.responseHead(Self.response()) else { Issue.record("response with no exchange"); return }
        guard case .ignore = idle.responseEnd() else { Issue.record("response end with no exchange"); return }
        guard case .ignore = idle.upstreamFailed() else { Issue.record("failure with no exchange"); return }
        guard case .ignore = idle.connectFailed() else { Issue.record("connect failure with no exchange"); return }
        let attempt = idle.connectStarted()
        #expect(attempt == nil && idle.phase == .idle)
    }

    /// Requests NIO's pipelining handler hands over while the previous response's end is
    /// written must not read ahead (one socket read per response at most).
    @Test func noReadAheadWhileTheResponseEndIsWritten() {
        var m = Machine()
        _ = m.requestHead(Self.exchange())
        _ = m.requestEnd()
        _ = m.responseEnding()
        _ = m.requestHead(Self.exchange())
        _ = m.connectStarted()
        guard case .queue(_, let during) = m.requestEnd() else { Issue.record("end not queued"); return }
        #expect(!during)
        var next = Machine()
        _ = next.requestHead(Self.exchange())
        _ = next.requestEnd()
        _ = next.responseEnding()
        next.responseEndWritten()
        _ = next.requestHead(Self.exchange())
        _ = next.connectStarted()
        guard case .queue(_, let after) = next.requestEnd() else { Issue.record("end not queued"); return }
        #expect(after)
    }
}

extension ExchangeStateMachine.RequestEndAction {
    func isNextRequest(restartParser: Bool) -> Bool {
        if case .nextRequest(let r) = self { return r == restartParser }
        return false
    }
}
