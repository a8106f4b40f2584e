import NIOHTTP1

/// The exchanges of one client connection (or HTTP/2 stream) as states, apart from the I/O:
/// `ProxyHandler` tells it each event and performs the action it returns (writes, connects,
/// timers, counters, the access log). Loop-confined like the handler; a value changed in
/// place, without closures or boxes, so that it costs nothing per request. Modelled on
/// SwiftNIO's `NIOTypedHTTPServerUpgraderStateMachine`.
///
/// The states, each carrying what is valid in it:
/// - `idle`: between requests.
/// - `routed(exchange)`: a request is handled with no connection to a real server: just
///   read (routing, choosing a member), between two connection attempts, answered by the
///   proxy itself (404, redirect, 502, 503, 504), or its real's response has ended and the
///   end is being written to the client.
/// - `connecting(exchange, attempt)`: a connection is being opened (or leased); request
///   parts are queued. `attempt` tells this attempt's completion from a late one.
/// - `forwarding(exchange, upstream)`: the request streams to the real server, its response
///   to the client; the response's progress (started, keep-alive, 101) lives here.
/// - `discardingRequest`: the response ended before the request did: the rest of the body
///   is read and dropped, then `idle`.
/// - `tunneled`: the real accepted a WebSocket handshake: both connections become a byte
///   tunnel and the handler leaves the pipeline.
/// - `closed`: the client connection is closing: every later event is dropped.
///
/// One exchange: `idle` → head → `routed` → `connecting` → connected → `forwarding` →
/// response head, body, end → `routed` → end written → `idle` (the request had ended and the
/// client keeps the connection), `discardingRequest` (it had not), or `closed` (the client
/// does not keep it). A 101 to a WebSocket handshake → `tunneled` at the response's end.
/// A local answer goes `routed` → end written, as above.
///
/// Failures: a connect error tries another member once (`connecting` → `routed` →
/// `connecting`), then 502. A reused connection that closes before any byte of the answer,
/// for an idempotent request whose body has not gone out, is tried once more on a new
/// connection. Otherwise a real server that closes or stays silent gets the client a 502 or
/// 504 before the response started, a close after. The client leaving, or the guard
/// refusing the request mid-body, abandons the exchange (`closed`). Events a client could
/// cause out of order (a head while an exchange runs, a body with no request) return
/// `.close(reason:)`; once `closed` they are dropped.
///
/// Besides the states, two facts of the connection: a read of the client held back while
/// the real server cannot take bytes, and whether the response's end is being written.
struct ExchangeStateMachine<Upstream: ExchangeUpstream> {
    /// What one request has done so far; it outlives a connection attempt.
    struct RequestProgress: Equatable {
        /// The request's end has been read.
        var ended = false
        /// Part of the body went (or is queued) to a real server: the request cannot be sent again.
        var bodySent = false
        var triedAnotherMember = false
        var resentOnNewConnection = false
    }

    /// The exchange while a real server's connection carries it.
    struct Forwarding: Equatable {
        var request: RequestProgress
        var responseStarted = false
        var upstreamKeepAlive = false
        /// The real answered 101 to the handshake: at the response's end the connections are spliced.
        var switchingProtocols = false
        /// Body was written to the real server since its last flush.
        var needsFlush = false
    }

    private enum State {
        case idle
        case routed(Exchange, RequestProgress)
        case connecting(Exchange, RequestProgress, attempt: UInt64)
        case forwarding(Exchange, Upstream, Forwarding)
        case discardingRequest(restartParser: Bool)
        case tunneled
        case closed
        /// Only inside a method that rewrites an associated value in place (no copy of it).
        case modifying
    }

    /// The state's name, for tests and logs.
    enum Phase: Equatable {
        case idle, routed, connecting, forwarding, discardingRequest, tunneled, closed
    }

    private var state: State = .idle
    private var attempts: UInt64 = 0
    /// A read of the client was held back (no connection yet, or the real's is not writable).
    private var readPending = false
    /// The response's end is being written: a request NIO's pipelining handler hands over
    /// within that write must not read ahead.
    private var writingResponseEnd = false

    init() {}

    var phase: Phase {
        switch state {
        case .idle: return .idle
        case .routed: return .routed
        case .connecting: return .connecting
        case .forwarding: return .forwarding
        case .discardingRequest: return .discardingRequest
        case .tunneled: return .tunneled
        case .closed: return .closed
        case .modifying: Self.unreachableModifying()
        }
    }

    /// The exchange in progress, if any.
    var exchange: Exchange? {
        switch state {
        case .routed(let ex, _), .connecting(let ex, _, _), .forwarding(let ex, _, _): return ex
        case .idle, .discardingRequest, .tunneled, .closed: return nil
        case .modifying: Self.unreachableModifying()
        }
    }

    /// The connection carrying the exchange, while forwarding.
    var upstream: Upstream? {
        if case .forwarding(_, let upstream, _) = state { return upstream }
        return nil
    }

    /// The response's progress, while forwarding.
    var forwarding: Forwarding? {
        if case .forwarding(_, _, let f) = state { return f }
        return nil
    }

    // MARK: the client's request

    mutating func requestHead(_ exchange: Exchange) -> HeadAction {
        switch state {
        case .idle:
            state = .routed(exchange, RequestProgress())
            return .route
        case .closed, .tunneled:
            return .ignore
        case .routed, .connecting, .forwarding, .discardingRequest:
            return .close(reason: "a request head arrived before the previous request ended")
        case .modifying: Self.unreachableModifying()
        }
    }

    mutating func requestBody() -> RequestBodyAction {
        switch state {
        case .connecting(let ex, var progress, let attempt):
            state = .modifying
            progress.bodySent = true
            state = .connecting(ex, progress, attempt: attempt)
            return .queue(ex)
        case .forwarding(let ex, let upstream, var f):
            state = .modifying
            f.request.bodySent = true
            f.needsFlush = true
            state = .forwarding(ex, upstream, f)
            return .forward(ex, upstream)
        case .idle:
            return .close(reason: "request body with no request in progress")
        case .routed, .discardingRequest, .tunneled, .closed:
            return .drop
        case .modifying: Self.unreachableModifying()
        }
    }

    mutating func requestEnd() -> RequestEndAction {
        switch state {
        case .routed(let ex, var progress):
            state = .modifying
            progress.ended = true
            state = .routed(ex, progress)
            return .drop
        case .connecting(let ex, var progress, let attempt):
            state = .modifying
            progress.ended = true
            state = .connecting(ex, progress, attempt: attempt)
            return .queue(ex, readAhead: !writingResponseEnd)
        case .forwarding(let ex, let upstream, var f):
            state = .modifying
            f.request.ended = true
            f.needsFlush = false
            state = .forwarding(ex, upstream, f)
            return .forward(upstream, readAhead: !writingResponseEnd)
        case .discardingRequest(let restartParser):
            state = .idle
            return .nextRequest(restartParser: restartParser)
        case .idle:
            return .close(reason: "request end with no request in progress")
        case .tunneled, .closed:
            return .drop
        case .modifying: Self.unreachableModifying()
        }
    }

    // MARK: back-pressure towards the client

    /// The client may be read only while the real server's connection can take the bytes.
    mutating func readRequested() -> ReadAction {
        switch state {
        case .connecting:
            readPending = true
            return .hold
        case .forwarding(_, let upstream, _) where !upstream.isWritable:
            readPending = true
            return .hold
        default:
            return .read
        }
    }

    /// The real server can take bytes again (or the exchange moved on): true when a held
    /// read of the client must be made now.
    mutating func heldReadMayResume() -> Bool {
        guard readPending else { return false }
        readPending = false
        return true
    }

    /// A batch of client reads ended: the body written meanwhile goes out in one flush.
    mutating func clientReadComplete() -> ReadCompleteAction {
        guard case .forwarding(let ex, let upstream, var f) = state, f.needsFlush else { return .none }
        state = .modifying
        f.needsFlush = false
        state = .forwarding(ex, upstream, f)
        return .flush(upstream)
    }

    // MARK: the connection to a real server

    /// A connection is being asked for: returns the attempt's number, which its completion
    /// presents to `isAwaiting(attempt:)`; nil when no exchange waits for one.
    mutating func connectStarted() -> UInt64? {
        guard case .routed(let ex, let progress) = state else { return nil }
        attempts &+= 1
        state = .connecting(ex, progress, attempt: attempts)
        return attempts
    }

    /// Whether a connection that completes now still has its exchange waiting (else it was
    /// abandoned: the connection goes back to the pool).
    func isAwaiting(attempt: UInt64) -> Bool {
        if case .connecting(_, _, let current) = state { return current == attempt }
        return false
    }

    mutating func connected(_ upstream: Upstream) -> ConnectedAction {
        guard case .connecting(let ex, let progress, _) = state else { return .ignore }
        state = .forwarding(ex, upstream, Forwarding(request: progress))
        return .send(ex)
    }

    mutating func connectFailed() -> ConnectFailedAction {
        guard case .connecting(let ex, var progress, _) = state else { return .ignore }
        if progress.triedAnotherMember {
            state = .routed(ex, progress)
            return .respond(ex)
        }
        progress.triedAnotherMember = true
        state = .routed(ex, progress)
        return .tryAnotherMember(ex)
    }

    // MARK: the real server's response

    mutating func responseHead(_ head: HTTPResponseHead) -> ResponseHeadAction {
        guard case .forwarding(let ex, let upstream, var f) = state else { return .ignore }
        state = .modifying
        if head.status == .switchingProtocols {
            guard ex.upgrade == .websocket,
                  head.headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "websocket" }) else {
                state = .routed(ex, f.request)
                return .refuseSwitch(ex, upstream)
            }
            f.switchingProtocols = true
        }
        f.responseStarted = true
        f.upstreamKeepAlive = head.isKeepAlive
        state = .forwarding(ex, upstream, f)
        return .forward(ex, upstream)
    }

    func responseBody() -> ResponseBodyAction {
        if case .forwarding(let ex, _, _) = state { return .forward(ex) }
        return .ignore
    }

    mutating func responseEnd() -> ResponseEndAction {
        guard case .forwarding(let ex, let upstream, let f) = state else { return .ignore }
        if f.switchingProtocols {
            state = .tunneled
            return .tunnel(ex, upstream)
        }
        state = .routed(ex, f.request)
        return .complete(ex, upstream, reuseUpstream: f.upstreamKeepAlive && f.request.ended)
    }

    /// The response's end (the real's or the proxy's own) is about to be written.
    mutating func responseEnding() -> AfterResponse {
        guard case .routed(let ex, let progress) = state else {
            state = .closed
            return .close
        }
        if !ex.clientKeepAlive {
            state = .closed
            return .close
        }
        if progress.ended {
            state = .idle
            writingResponseEnd = true
            return .nextRequest(restartParser: ex.upgrade.parserStopped)
        }
        state = .discardingRequest(restartParser: ex.upgrade.parserStopped)
        return .discardRequestBody
    }

    mutating func responseEndWritten() {
        writingResponseEnd = false
    }

    /// The real's connection closed or failed before the response's end.
    mutating func upstreamFailed() -> UpstreamLossAction {
        upstreamLost(mayResend: true)
    }

    /// The real stayed silent longer than the pool allows.
    mutating func upstreamTimedOut() -> UpstreamLossAction {
        upstreamLost(mayResend: false)
    }

    private mutating func upstreamLost(mayResend: Bool) -> UpstreamLossAction {
        guard case .forwarding(let ex, let upstream, var f) = state else { return .ignore }
        if f.responseStarted {
            state = .closed
            return .closeClient(ex, upstream)
        }
        if mayResend, upstream.reusedAndSilent, ex.head.method.isIdempotent, !f.request.bodySent,
           !f.request.resentOnNewConnection {
            // Its keep-alive timeout raced the request: no byte of an answer came, and the
            // method may be sent twice (RFC 9110 §9.2.2).
            f.request.resentOnNewConnection = true
            state = .routed(ex, f.request)
            return .sendAgain(ex, upstream)
        }
        state = .routed(ex, f.request)
        return .respond(ex, upstream)
    }

    // MARK: the end of the client connection

    /// The guard refused the request after its head was passed on (body too large, bad
    /// chunking): it answers the client itself; the exchange ends here (`closed`).
    mutating func requestAborted() -> AbandonAction {
        abandon()
    }

    /// The client connection is gone or being closed (`closed`).
    mutating func clientClosed() -> AbandonAction {
        abandon()
    }

    private mutating func abandon() -> AbandonAction {
        let action: AbandonAction
        switch state {
        case .routed(let ex, _), .connecting(let ex, _, _):
            action = .abandon(ex, nil, responseStarted: false)
        case .forwarding(let ex, let upstream, let f):
            action = .abandon(ex, upstream, responseStarted: f.responseStarted)
        case .idle, .discardingRequest, .tunneled, .closed:
            action = .none
        case .modifying: Self.unreachableModifying()
        }
        state = .closed
        return action
    }

    private static func unreachableModifying() -> Never {
        preconditionFailure("ExchangeStateMachine: .modifying is only seen inside one of its methods")
    }
}
