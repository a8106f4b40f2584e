import Glibc
import NIOCore
import NIOSSL
import UsherCore

/// One real's check, ready to run again and again: the kind, where it goes, its timeout, and
/// what was prepared once for it (a TLS context). `run` never fails: a failed check is
/// `.failed(reason)`, and every check ends within the timeout.
struct Probe: Sendable {
    let kind: HealthCheckKind
    let destination: ProbeTarget
    let timeoutSeconds: Double
    let proxyProtocol: ProxyProtocolVersion?
    /// For `tls` and `https`: the client context, or why it cannot be made (then every check fails so).
    let tls: Result<NIOSSLContext, ProbeSetupError>?
    /// For `tcp` and `http`, which `SocketProber` runs: what is written once connected (the
    /// PROXY header, the HTTP request), made once.
    let request: [UInt8]

    struct ProbeSetupError: Error, Sendable {
        let reason: String
    }

    init(check: HealthCheck, target: HealthTarget) {
        self.kind = check.kind
        self.destination = ProbeTarget(target, check: check)
        self.timeoutSeconds = check.timeoutSeconds
        self.proxyProtocol = check.proxyProtocol
        switch check.kind {
        case let .https(_, settings), let .tls(settings):
            self.tls = Result { try ProbeTLS.makeContext(settings) }.mapError { ProbeSetupError(reason: ProbeTLS.describeSetup($0)) }
        default:
            self.tls = nil
        }
        var request = check.proxyProtocol.map { ProxyProtocolLocalHeader.bytes($0) } ?? []
        if case let .http(http) = check.kind { request += HTTPAnswer.request(http, defaultHost: destination.hostAndPort) }
        self.request = request
    }

    /// A stream check whose TLS context could be made, or the failure every check gets.
    private func stream(_ exchange: (NIOSSLContext) -> StreamProbe.Exchange) -> Result<StreamProbe, ProbeSetupError> {
        switch tls {
        case let .success(context)?:
            return .success(StreamProbe(destination: destination, timeoutSeconds: timeoutSeconds, proxyProtocol: proxyProtocol,
                                        exchange: exchange(context)))
        case let .failure(error)?:
            return .failure(error)
        case nil:
            return .failure(ProbeSetupError(reason: "no TLS context"))
        }
    }

    func run(on eventLoop: EventLoop) -> EventLoopFuture<ProbeResult> {
        if case .none = kind { return eventLoop.makeSucceededFuture(.passed) }
        let outcome = eventLoop.makePromise(of: ProbeResult.self)
        let seconds = timeoutSeconds
        // A script keeps its own deadline, which also kills it; the prober keeps those of tcp and http checks.
        switch kind {
        case .script, .tcp, .http:
            break
        default:
            let deadline = eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
                outcome.succeed(.failed("no answer within \(ProbeText.seconds(seconds))"))
            }
            outcome.futureResult.whenComplete { _ in deadline.cancel() }
        }
        switch kind {
        case .none:
            outcome.succeed(.passed)
        case .tcp:
            prober(exchange: nil, outcome: outcome)
        case let .http(http):
            prober(exchange: HTTPAnswer(check: http), outcome: outcome)
        case let .tls(settings), let .https(_, settings):
            let http: HTTPCheck? = if case let .https(h, _) = kind { h } else { nil }
            switch stream({ context in http.map { .http($0, tls: context, settings) } ?? .handshake(context, settings) }) {
            case let .success(probe): probe.run(on: eventLoop, outcome: outcome)
            case let .failure(error): outcome.succeed(.failed("TLS unusable: \(error.reason)"))
            }
        case let .udp(udp):
            DatagramProbe(destination: destination, request: udp.send, match: .udp(udp.expect))
                .run(on: eventLoop, outcome: outcome)
        case let .dns(dns):
            let id = UInt16.random(in: 0...UInt16.max)
            DatagramProbe(destination: destination, request: DNSMessage.query(id: id, name: dns.name, type: dns.type),
                          match: .dns(id: id, expect: dns.expectRcodes))
                .run(on: eventLoop, outcome: outcome)
        case let .script(script):
            ScriptProbe(script: script, destination: destination, timeoutSeconds: seconds).run(on: eventLoop, outcome: outcome)
        }
        return outcome.futureResult
    }

    /// A `tcp` or plain `http` check on the shared prober thread; the socket is made here, on the
    /// event loop's thread, in the namespace checks start from.
    private func prober(exchange: HTTPAnswer?, outcome: EventLoopPromise<ProbeResult>) {
        guard let address = destination.socketAddress(failing: outcome) else { return }
        address.withSockAddr { pointer, length in
            SocketProber.shared.probe(address: pointer, length: socklen_t(length), timeoutSeconds: timeoutSeconds,
                                      request: request, exchange: exchange, outcome: outcome)
        }
    }
}
