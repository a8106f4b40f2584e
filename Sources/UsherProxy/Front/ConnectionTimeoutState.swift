/// The timers of one HTTP/1.1 client connection (nginx's client_header_timeout and
/// keepalive_timeout):
/// - from accept, and from the first byte of a request after an idle period, the whole head
///   must arrive within the header timeout, else 408 and close (slowloris);
/// - between requests, a kept-alive connection that sends nothing for the idle timeout is
///   closed quietly;
/// - while requests are being served (heads received, responses not finished) neither runs:
///   the real server's timeouts apply.
struct ConnectionTimeoutState {
    enum Timer: Equatable {
        case header
        case idle
    }

    enum State: Equatable {
        /// No request in progress; `timer` is running; `bytesSeen`: part of a head arrived.
        case awaitingRequest(timer: Timer, bytesSeen: Bool)
        /// `outstanding` heads received whose responses have not finished.
        case serving(outstanding: Int)
        case closed
    }

    enum Action: Equatable {
        case none
        case arm(Timer)
        case cancelTimer
        /// Header timeout: answer 408, then close.
        case respondTimeoutAndClose
        /// Idle timeout (or header timeout before any byte): close without a word.
        case close
    }

    private(set) var state: State = .awaitingRequest(timer: .header, bytesSeen: false)

    /// The connection was accepted: the first head has the header timeout.
    func opened() -> Action { .arm(.header) }

    mutating func bytesReceived() -> Action {
        switch state {
        case .awaitingRequest(.idle, _):
            state = .awaitingRequest(timer: .header, bytesSeen: true)
            return .arm(.header)
        case .awaitingRequest(.header, _):
            state = .awaitingRequest(timer: .header, bytesSeen: true)
            return .none
        case .serving, .closed:
            return .none
        }
    }

    mutating func headReceived() -> Action {
        switch state {
        case .awaitingRequest:
            state = .serving(outstanding: 1)
            return .cancelTimer
        case .serving(let n):
            state = .serving(outstanding: n + 1)
            return .none
        case .closed:
            return .none
        }
    }

    mutating func responseCompleted() -> Action {
        switch state {
        case .serving(let n) where n > 1:
            state = .serving(outstanding: n - 1)
            return .none
        case .serving:
            state = .awaitingRequest(timer: .idle, bytesSeen: false)
            return .arm(.idle)
        case .awaitingRequest, .closed:
            return .none
        }
    }

    mutating func timerFired(_ timer: Timer) -> Action {
        guard case .awaitingRequest(let running, let bytesSeen) = state, running == timer else { return .none }
        state = .closed
        return timer == .header && bytesSeen ? .respondTimeoutAndClose : .close
    }
}

/// Outbound user events from the request guard to the connection's timeout handler.
enum ConnectionTimeoutEvent: Sendable {
    case headReceived
    /// The request's end passed the guard (its body, if any, is all in).
    case requestEnded
    case responseCompleted
}
