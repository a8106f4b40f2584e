import NIOCore
import NIOHTTP1
import UsherCore

extension ProxyHandler {
    /// A request head passed the guards: route it and start the exchange.
    func startExchange(_ head: HTTPRequestHead) {
        let ex = Exchange(head: head, framing: BodyFraming(validatedHead: head), now: .now())
        switch machine.requestHead(ex) {
        case .route: break
        case .ignore: return
        case .close(let reason): return closeForViolation(reason)
        }
        stats.service.requests += 1
        switch service.router.route(ex.target, headers: head.headers) {
        case .noRoute:
            respondLocally(ex, .notFound, "no content rule matches this request and service '\(service.name)' has no default pool")
        case .redirect(let redirect):
            let location = RedirectLocation.make(redirect, target: ex.target, scheme: service.scheme)
            respondLocally(ex, HTTPResponseStatus(statusCode: redirect.status), "redirecting to \(location)",
                           extraHeaders: ["location": location])
        case .pool(let pool):
            ex.pool = pool
            let (decision, insertCookie) = AffinityDecision.decide(
                pool.pool.affinity, pool: pool, head: head, client: clientAddress)
            if insertCookie, case .insertedCookie(let name) = pool.pool.affinity { ex.cookieName = name }
            ex.forwardHead = makeForwardHead(ex)
            let member: PoolMemberRuntime?
            switch decision {
            case .member(let index): member = pool.members[index]
            case .hash(let key): member = pool.choose(affinity: key)
            case .scheduler: member = pool.choose(affinity: nil)
            }
            guard let member else {
                respondLocally(ex, .serviceUnavailable, "service '\(service.name)' has no healthy server (pool '\(pool.name)')")
                return
            }
            if ex.framing != .none, head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                // The body is streamed to the real server as it comes: invite it now.
                let continueHead = HTTPResponseHead(version: head.version, status: .continue)
                context?.writeAndFlush(wrapOutboundOut(.head(continueHead)), promise: nil)
            }
            connect(ex, to: member)
        }
    }

    /// The head as the real server gets it: origin-form target, HTTP/1.1, hop-by-hop fields
    /// removed, forwarding fields added, the service's request rewrites applied.
    func makeForwardHead(_ ex: Exchange) -> HTTPRequestHead {
        var headers = ex.head.headers
        ForwardingHeaders.removeHopByHop(&headers)
        ForwardingHeaders.removeIfPresent("expect", from: &headers)
        if ex.head.version.major >= 2 || ex.head.uri.first != "/" && ex.head.uri != "*" {
            // Absolute-form target or HTTP/2 :authority: the authority becomes Host.
            let authority = ex.target.port.map { "\(ex.target.host):\($0)" } ?? String(ex.target.host)
            if !authority.isEmpty { headers.replaceOrAdd(name: "host", value: authority) }
        }
        switch ex.framing {
        case .chunked: headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
        case .length, .none: break
        }
        if service.settings.forwardedHeaders {
            ForwardingHeaders.addForwarded(to: &headers, client: clientAddress, scheme: service.scheme,
                                           host: headers.first(name: "host").map { Substring($0) })
        }
        ForwardingHeaders.apply(service.settings.requestHeaders, to: &headers)
        if ex.upgrade == .websocket {
            // The handshake's own hop-by-hop fields: the real must see the upgrade asked of it.
            headers.replaceOrAdd(name: "connection", value: "upgrade")
            headers.replaceOrAdd(name: "upgrade", value: "websocket")
        }
        return HTTPRequestHead(version: .http1_1, method: ex.head.method, uri: ex.target.originForm, headers: headers)
    }

    /// Uses an idle keep-alive connection to `member` if there is one, else opens one.
    func connect(_ ex: Exchange, to member: PoolMemberRuntime, fresh: Bool = false) {
        guard let pool = ex.pool, let attempt = machine.connectStarted() else { return }
        member.active.add(1, ordering: .relaxed)
        ex.member = member
        ex.servedBy = member
        if !fresh, let idle = takeIdle(member, pool: pool) {
            attach(idle)
            return
        }
        pool.connector.connect(to: member, on: loopContext.loop, client: clientAddress, local: localAddress) { [self] result in
            guard self.machine.isAwaiting(attempt: attempt) else {
                // The exchange ended while connecting (client gone, aborted).
                if case .success(let c) = result {
                    if pool.pool.proxyProtocol == nil { self.loopContext.upstreams.release(c) } else { c.close() }
                }
                return
            }
            switch result {
            case .success(let connection):
                let counted = self.stats.member(member, of: pool)
                counted.openConnections += 1
                connection.channel.closeFuture.assumeIsolated().whenComplete { _ in counted.openConnections -= 1 }
                self.attach(connection)
            case .failure(let error): self.connectFailed(member, error: error)
            }
        }
    }

    func takeIdle(_ member: PoolMemberRuntime, pool: PoolRuntime) -> UpstreamConnection? {
        if pool.pool.proxyProtocol != nil {
            guard let c = privateUpstreams.removeValue(forKey: ObjectIdentifier(member)), c.channel.isActive else { return nil }
            return c
        }
        return loopContext.upstreams.take(for: member)
    }

    func attach(_ upstream: UpstreamConnection) {
        guard case .send(let ex) = machine.connected(upstream), let head = ex.forwardHead else { return }
        upstream.handler.delegate = self
        upstream.bytesReadBeforeExchange = upstream.meter.bytesRead
        ex.lastActivity = .now()
        memberStats?.requests += 1
        upstream.write(.head(head))
        for part in ex.pending { upstream.write(part) }
        ex.pending.removeAll()
        upstream.flush()
        armTimeout(ex.pool?.responseTimeout ?? .seconds(60))
        if upstream.channel.isWritable { resumeClientReads() }
    }

    func connectFailed(_ member: PoolMemberRuntime, error: Error) {
        let action = machine.connectFailed()
        let ex: Exchange
        let retry: Bool
        switch action {
        case .tryAnotherMember(let e): (ex, retry) = (e, true)
        case .respond(let e): (ex, retry) = (e, false)
        case .ignore: return
        }
        memberDone(ex)
        guard let pool = ex.pool else { return }
        stats.member(member, of: pool).connectErrors += 1
        service.logger.warning("real server unreachable", metadata: [
            "pool": "\(pool.name)", "member": "\(member.label)", "error": "\(error)",
            "retry": "\(retry)"])
        if retry, let other = pool.choose(affinity: nil, excluding: member.index) {
            connect(ex, to: other)
            return
        }
        respondLocally(ex, .badGateway, "service '\(service.name)': real server \(member.label) could not be reached (\(error))",
                       realServer: member.label)
    }

    func requestBody(_ buffer: ByteBuffer) {
        stats.service.bytesIn += buffer.readableBytes
        switch machine.requestBody() {
        case .queue(let ex):
            memberStats(of: ex)?.bytesIn += buffer.readableBytes
            ex.pending.append(.body(.byteBuffer(buffer)))
        case .forward(let ex, let upstream):
            memberStats(of: ex)?.bytesIn += buffer.readableBytes
            ex.lastActivity = .now()
            upstream.write(.body(.byteBuffer(buffer)))
        case .drop:
            memberStats?.bytesIn += buffer.readableBytes
        case .close(let reason):
            closeForViolation(reason)
        }
    }

    func requestEnd(_ trailers: HTTPHeaders?) {
        switch machine.requestEnd() {
        case .queue(let ex, let readAhead):
            ex.pending.append(.end(trailers))
            if readAhead { readAheadAfterRequest() }
        case .forward(let upstream, let readAhead):
            upstream.write(.end(trailers))
            upstream.flush()
            if readAhead { readAheadAfterRequest() }
        case .nextRequest(let restartParser):
            finishExchange(restartParser: restartParser)
        case .drop:
            break
        case .close(let reason):
            closeForViolation(reason)
        }
    }
}

extension BodyFraming {
    /// The framing of a head the guard accepted. An HTTP/2 request states no framing: its
    /// body, if any, goes to the real server chunked.
    init(validatedHead head: HTTPRequestHead) {
        if head.headers.contains(name: "transfer-encoding") {
            self = .chunked
        } else if let cl = head.headers.first(name: "content-length"), let n = Int(cl) {
            self = n > 0 ? .length(n) : .none
        } else if head.version.major >= 2, ![.GET, .HEAD, .DELETE, .OPTIONS, .TRACE].contains(head.method) {
            self = .chunked
        } else {
            self = .none
        }
    }
}
