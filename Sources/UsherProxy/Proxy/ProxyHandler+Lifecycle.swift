import NIOCore
import NIOHTTP1

extension ProxyHandler {
    /// The member no longer serves this exchange: least connections counts it out.
    func memberDone() {
        if let m = exchange?.member {
            m.active.subtract(1, ordering: .relaxed)
            exchange?.member = nil
        }
    }

    /// One access log line for the exchange, the first time only.
    func finishLogging(_ ex: Exchange, realServer: String?) {
        if exchange?.logged == true { return }
        exchange?.logged = true
        stats.service.responses.count(ex.status)
        if let m = ex.servedBy, let pool = ex.pool { stats.member(m, of: pool).responses.count(ex.status) }
        let now = NIODeadline.now()
        stats.observe(Double((now - ex.started).nanoseconds) / 1e9, pool: ex.pool)
        log.append(AccessLogRecord(
            client: clientAddress, service: service.name, method: ex.head.method.rawValue, target: ex.head.uri,
            status: ex.status, bytesSent: ex.bytesSent, realServer: realServer,
            timeToFirstByte: ex.firstByte.map { $0 - ex.started }, total: now - ex.started))
    }

    func closeClient() {
        phase = .closed
        exchange = nil
        context?.closeAfterPendingWrites()
    }

    /// The guard refused the request after its head was passed on (body past the limit, bad
    /// chunking): the real server's connection is closed mid-request, so it never sees a
    /// complete request; the guard answers the client.
    func abortExchange(status: HTTPResponseStatus) {
        cancelTimeout()
        service.counters.rejectedRequests.add(1, ordering: .relaxed)
        if case .forwarding(let upstream) = phase { upstream.close() }
        generation &+= 1
        if let ex = exchange {
            if !ex.responseStarted { ex.status = status.code }
            finishLogging(ex, realServer: ex.member?.label)
        }
        memberDone()
        phase = .closed
        exchange = nil
    }

    /// The client connection is gone: drop whatever was in progress (logged as 499 if no
    /// response had started, nginx's "client closed request").
    func tearDown() {
        stopTimeoutTask()
        switch phase {
        case .connecting, .forwarding:
            if case .forwarding(let upstream) = phase { upstream.close() }
            generation &+= 1
            if let ex = exchange {
                if !ex.responseStarted { ex.status = 499 }
                finishLogging(ex, realServer: ex.member?.label)
            }
            memberDone()
        case .idle, .discardingRequest, .tunneled, .closed:
            break
        }
        phase = .closed
        exchange = nil
        for c in privateUpstreams.values { c.close() }
        privateUpstreams.removeAll()
    }
}
