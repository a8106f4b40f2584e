import NIOHTTP1
import UsherCore

/// The request side of one client connection as the guard sees it: which request part may
/// come next, how much body has arrived against the limit, and whether a response is being
/// written (after which an error can only close the connection).
struct RequestGuardState {
    enum State: Equatable {
        case awaitingHead
        case inBody(received: Int)
        /// A request was refused: nothing more is read or forwarded; the connection closes.
        case rejected
    }

    enum Action: Equatable {
        case forward
        /// Drop the part (after a rejection).
        case drop
        /// Refuse: answer `status` and close if no response has started, else just close.
        case reject(Rejection, respond: Bool)
    }

    private(set) var state: State = .awaitingHead
    private(set) var responseInProgress = false
    /// A response to the current request has been started (maybe finished while its body
    /// still streams in): another one would be a second answer to one request.
    private(set) var answeredCurrent = false
    let validator: RequestHeadValidator

    init(limits: HTTPLimits, http2Stream: Bool = false) {
        validator = RequestHeadValidator(limits: limits, http2Stream: http2Stream)
    }

    mutating func head(_ head: HTTPRequestHead) -> Action {
        answeredCurrent = false
        guard case .awaitingHead = state else { return state == .rejected ? .drop : reject(.init(status: .badRequest, reason: "request head out of order")) }
        switch validator.validate(head) {
        case .success:
            state = .inBody(received: 0)
            return .forward
        case .failure(let r):
            return reject(r)
        }
    }

    /// `count` decoded body bytes (chunked framing already removed by the parser).
    mutating func body(count: Int) -> Action {
        guard case .inBody(let received) = state else { return state == .rejected ? .drop : reject(.init(status: .badRequest, reason: "body before head")) }
        let total = received + count
        if total > validator.limits.maxBodyBytes {
            return reject(.init(status: .payloadTooLarge, reason: "body larger than \(validator.limits.maxBodyBytes) bytes"))
        }
        state = .inBody(received: total)
        return .forward
    }

    mutating func end() -> Action {
        guard case .inBody = state else { return state == .rejected ? .drop : reject(.init(status: .badRequest, reason: "request end before head")) }
        state = .awaitingHead
        answeredCurrent = false
        return .forward
    }

    /// The parser gave up on the bytes. Some errors are a client that went away mid-request:
    /// nothing to answer then.
    mutating func parserError(_ error: HTTPParserError) -> Action {
        if state == .rejected { return .drop }
        return reject(Rejection(parserError: error))
    }

    /// The body stopped coming in time (`RequestBodyClock`): 408, or a close once a response
    /// has started.
    mutating func bodyTimedOut() -> Action {
        guard case .inBody = state else { return .drop }
        return reject(.init(status: .requestTimeout, reason: "request body not received in time"))
    }

    mutating func responseHeadWritten() {
        responseInProgress = true
        answeredCurrent = true
    }
    mutating func responseEndWritten() { responseInProgress = false }

    /// A response may be written if none is being written and, when the refused request is
    /// one whose body is still arriving, it has not been answered already.
    private mutating func reject(_ r: Rejection) -> Action {
        let midRequest: Bool
        if case .inBody = state { midRequest = true } else { midRequest = false }
        state = .rejected
        return .reject(r, respond: !responseInProgress && !(midRequest && answeredCurrent))
    }
}

extension Rejection {
    /// What NIO's parser (llhttp) found, as the status the client gets.
    init(parserError: HTTPParserError) {
        switch parserError {
        case .headerOverflow:
            self.init(status: .requestHeaderFieldsTooLarge, reason: "request head too large")
        case .invalidVersion:
            self.init(status: .httpVersionNotSupported, reason: "HTTP version not supported")
        case .invalidContentLength, .unexpectedContentLength:
            self.init(status: .badRequest, reason: "invalid or ambiguous Content-Length")
        case .invalidChunkSize:
            self.init(status: .badRequest, reason: "invalid chunked body")
        case .invalidHeaderToken, .invalidCharactersUsed:
            self.init(status: .badRequest, reason: "invalid character in the request head")
        case .invalidURL:
            self.init(status: .badRequest, reason: "invalid request target")
        case .invalidMethod:
            self.init(status: .badRequest, reason: "unknown method")
        default:
            self.init(status: .badRequest, reason: "malformed request (\(parserError))")
        }
    }
}
