import NIOCore

/// How long a request body may keep the proxy waiting (Apache's mod_reqtimeout `body=…,
/// MinRate=…`; nginx's `client_body_timeout` when `minRate` is 0). From the head on, the body
/// has a credit of `timeout`. Time spent waiting for the client uses it up: only while the
/// proxy has asked to read (a read is outstanding), so time the proxy itself holds the client
/// back (connecting to a real server, a real server slow to take the body) is not counted.
/// Each `minRate` bytes received earn a second back, never above `timeout`; with `minRate` 0
/// any bytes restore it all. A body trickling below `minRate` runs out after about
/// `timeout / (1 - rate / minRate)`; one that stops, after `timeout`.
struct RequestBodyClock {
    let timeout: TimeAmount
    /// Bytes per second; 0: the timeout alone, between reads.
    let minRate: Int
    private(set) var credit: TimeAmount
    /// The body is awaited (a head passed, its end has not).
    private(set) var awaitingBody = false
    /// Waiting for the client since then (a read was asked for); nil while not waiting.
    private(set) var waitingSince: NIODeadline?

    init(timeout: TimeAmount, minRate: Int) {
        self.timeout = timeout
        self.minRate = minRate
        self.credit = timeout
    }

    /// When the credit runs out if nothing more arrives; nil while the clock stands still.
    var deadline: NIODeadline? {
        waitingSince.map { $0 + credit }
    }

    /// A request head passed: its body (if any) is awaited from the next read on.
    mutating func headPassed() {
        awaitingBody = true
        credit = timeout
        waitingSince = nil
    }

    /// The proxy asked to read from the client.
    mutating func readRequested(at now: NIODeadline) {
        if awaitingBody, waitingSince == nil { waitingSince = now }
    }

    /// `count` body bytes arrived: the wait so far is charged, the bytes earn credit, and the
    /// clock stands still until the proxy asks for more.
    mutating func bodyReceived(_ count: Int, at now: NIODeadline) {
        guard awaitingBody else { return }
        charge(until: now)
        waitingSince = nil
        if minRate == 0 {
            credit = timeout
        } else {
            let earned = TimeAmount.nanoseconds(Int64(count) * 1_000_000_000 / Int64(minRate))
            credit = min(timeout, credit + earned)
        }
    }

    /// The request's end arrived (or it was refused): nothing is awaited.
    mutating func ended() {
        awaitingBody = false
        waitingSince = nil
    }

    /// The credit is used up at `now`.
    func isExhausted(at now: NIODeadline) -> Bool {
        guard let deadline else { return false }
        return now >= deadline
    }

    private mutating func charge(until now: NIODeadline) {
        guard let since = waitingSince else { return }
        credit = max(.zero, credit - (now - since))
    }
}
