import NIOCore
import NIOHTTP1

extension ProxyHandler {
    /// The member no longer serves this exchange: least connections counts it out.
    func memberDone(_ ex: Exchange) {
        if let m = ex.member {
            m.active.subtract(1, ordering: .relaxed)
            ex.member = nil
        }
    }

    /// One access log line for the exchange, the first time only.
    func finishLogging(_ ex: Exchange, realServer: String?) {
        if ex.logged { return }
        ex.logged = true
        stats.service.responses.count(ex.status)
        if let m = ex.servedBy, let pool = ex.pool { stats.member(m, of: pool).responses.count(ex.status) }
        let now = NIODeadline.now()
        stats.observe(Double((now - ex.started).nanoseconds) / 1e9, pool: ex.pool)
        log.append(AccessLogRecord(
            client: clientAddress, service: service.name, method: ex.head.method.rawValue, target: ex.head.uri,
            status: ex.status, bytesSent: ex.bytesSent, realServer: realServer,
            timeToFirstByte: ex.firstByte.map { $0 - ex.started }, total: now - ex.started))
    }

    /// Closes the client connection once what is written has gone out.
    func closeClient() {
        abandon(machine.clientClosed(), status: 499)
        context?.closeAfterPendingWrites()
    }

    /// The client sent something out of order (`reason`): the connection closes.
    func closeForViolation(_ reason: String) {
        service.logger.warning("closing a client connection", metadata: ["reason": "\(reason)"])
        closeClient()
    }

    /// The guard refused the request after its head was passed on (body past the limit, bad
    /// chunking): the real server's connection is closed mid-request, so it never sees a
    /// complete request; the guard answers the client.
    func abortExchange(status: HTTPResponseStatus) {
        cancelTimeout()
        service.counters.rejectedRequests.add(1, ordering: .relaxed)
        abandon(machine.requestAborted(), status: status.code)
    }

    /// The client connection is gone: drop whatever was in progress (logged as 499 if no
    /// response had started, nginx's "client closed request").
    func tearDown() {
        stopTimeoutTask()
        abandon(machine.clientClosed(), status: 499)
        for c in privateUpstreams.values { c.close() }
        privateUpstreams.removeAll()
    }

    /// Ends an exchange nobody will finish: the real's connection closes, the member is counted
    /// out, the exchange logged (with `status` if no response had started).
    private func abandon(_ action: ExchangeStateMachine<UpstreamConnection>.AbandonAction, status: UInt) {
        guard case .abandon(let ex, let upstream, let responseStarted) = action else { return }
        upstream?.close()
        if !responseStarted { ex.status = status }
        finishLogging(ex, realServer: ex.member?.label)
        memberDone(ex)
    }
}
