import NIOCore
import NIOHTTP1
import UsherCore

extension ProxyHandler {
    func upstreamReceived(_ part: HTTPClientResponsePart) {
        guard let context else { return }
        switch part {
        case .head(let head):
            switch machine.responseHead(head) {
            case .forward(let ex, let upstream):
                ex.lastActivity = .now()
                ex.status = head.status.code
                ex.firstByte = ex.lastActivity
                context.write(wrapOutboundOut(.head(makeClientHead(head, ex, member: upstream.member))), promise: nil)
            case .refuseSwitch(let ex, let upstream):
                // A switch nobody asked for: what follows is not HTTP any more.
                upstream.close()
                memberDone(ex)
                respondLocally(ex, .badGateway, "service '\(service.name)': real server \(upstream.member.label) switched protocols unasked",
                               realServer: upstream.member.label)
            case .ignore:
                break
            }
        case .body(let buffer):
            guard case .forward(let ex) = machine.responseBody() else { return }
            ex.lastActivity = .now()
            ex.bytesSent += buffer.readableBytes
            stats.service.bytesOut += buffer.readableBytes
            memberStats(of: ex)?.bytesOut += buffer.readableBytes
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .end(let trailers):
            switch machine.responseEnd() {
            case .tunnel(let ex, let upstream):
                startTunnel(upstream, ex, context: context)
            case .complete(let ex, let upstream, let reuse):
                upstream.completedExchanges += 1
                release(upstream, reusable: reuse, pool: ex.pool)
                finishLogging(ex, realServer: upstream.member.label)
                memberDone(ex)
                endResponse(context, trailers: trailers, ex)
            case .ignore:
                break
            }
        }
    }

    /// The response head as the client gets it: hop-by-hop fields removed, rewrites applied,
    /// the affinity cookie set, and the client's connection handling stated.
    func makeClientHead(_ upstreamHead: HTTPResponseHead, _ ex: Exchange, member: PoolMemberRuntime) -> HTTPResponseHead {
        var head = upstreamHead
        if head.status == .switchingProtocols {
            // The handshake's answer keeps its upgrade fields (and has no body to frame).
            let upgrade = head.headers.first(name: "upgrade") ?? "websocket"
            ForwardingHeaders.removeHopByHop(&head.headers)
            ForwardingHeaders.apply(service.settings.responseHeaders, to: &head.headers)
            head.headers.add(name: "connection", value: "upgrade")
            head.headers.add(name: "upgrade", value: upgrade)
            head.version = ex.head.version
            return head
        }
        let keepFraming = head.headers.first(name: "transfer-encoding") != nil
        ForwardingHeaders.removeHopByHop(&head.headers)
        if keepFraming, ex.head.version.major == 1, ex.head.version.minor >= 1 {
            head.headers.add(name: "transfer-encoding", value: "chunked")
        }
        ForwardingHeaders.apply(service.settings.responseHeaders, to: &head.headers)
        if let name = ex.cookieName {
            let secure = service.scheme == "https" ? "; Secure" : ""
            head.headers.add(name: "set-cookie", value: "\(name)=\(member.cookieID); Path=/; HttpOnly\(secure)")
        }
        if ex.head.version.major == 1 {
            // Assigned only if it differs: the head's storage is shared, a write copies it.
            if head.version != ex.head.version { head.version = ex.head.version }
            if !ex.clientKeepAlive {
                head.headers.replaceOrAdd(name: "connection", value: "close")
            } else if ex.head.version.minor == 0 {
                head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
            }
        }
        return head
    }

    func upstreamFailed(_ error: Error) {
        guard let member = machine.exchange?.member else { return }
        let action = machine.upstreamFailed()
        if case .ignore = action { return }
        cancelTimeout()
        switch action {
        case .closeClient(let ex, let upstream):
            upstream.close()
            finishLogging(ex, realServer: member.label)
            memberDone(ex)
            closeClient()
        case .sendAgain(let ex, let upstream):
            // A kept-alive connection the real server closed as the request went out: sent
            // once more, on a new connection.
            upstream.close()
            memberDone(ex)
            connect(ex, to: member, fresh: true)
        case .respond(let ex, let upstream):
            upstream.close()
            memberDone(ex)
            respondLocally(ex, .badGateway, "service '\(service.name)': real server \(member.label) closed the connection before answering",
                           realServer: member.label)
        case .ignore:
            break
        }
    }

    /// The real server may stay silent for `limit` (no response head, or a stalled body).
    /// Activity only updates a timestamp; the timer waits again for the time left. The one
    /// scheduled task stays across exchanges (ending an exchange only clears `timeoutLimit`):
    /// a new one is scheduled only if the deadline comes before it, so keep-alive requests
    /// neither schedule nor cancel a task each.
    func armTimeout(_ limit: TimeAmount) {
        timeoutLimit = limit
        let at = NIODeadline.now() + limit
        if let firesAt = timeoutFiresAt, firesAt <= at { return }
        scheduleTimeout(at: at)
    }

    private func scheduleTimeout(at: NIODeadline) {
        timeout?.cancel()
        timeoutFiresAt = at
        timeout = loopContext.loop.assumeIsolated().scheduleTask(deadline: at) { [self] in
            self.timeout = nil
            self.timeoutFiresAt = nil
            guard let limit = self.timeoutLimit, self.machine.upstream != nil, let ex = self.machine.exchange else { return }
            if NIODeadline.now() - ex.lastActivity < limit {
                self.scheduleTimeout(at: ex.lastActivity + limit)
                return
            }
            self.timeoutLimit = nil
            self.upstreamTimedOut()
        }
    }

    /// No exchange waits on a real server: a pending task finds nothing to do.
    func cancelTimeout() {
        timeoutLimit = nil
    }

    /// The connection is done: drop the task too.
    func stopTimeoutTask() {
        timeoutLimit = nil
        timeout?.cancel()
        timeout = nil
        timeoutFiresAt = nil
    }

    private func upstreamTimedOut() {
        let (ex, upstream, responseStarted): (Exchange, UpstreamConnection, Bool)
        switch machine.upstreamTimedOut() {
        case .closeClient(let e, let u): (ex, upstream, responseStarted) = (e, u, true)
        case .respond(let e, let u), .sendAgain(let e, let u): (ex, upstream, responseStarted) = (e, u, false)
        case .ignore: return
        }
        upstream.close()
        let label = upstream.member.label
        service.logger.warning("real server timed out", metadata: [
            "pool": "\(ex.pool?.name ?? "-")", "member": "\(label)", "response_started": "\(responseStarted)"])
        if responseStarted {
            finishLogging(ex, realServer: label)
            memberDone(ex)
            closeClient()
            return
        }
        memberDone(ex)
        respondLocally(ex, .gatewayTimeout, "service '\(service.name)': real server \(label) did not answer in time",
                       realServer: label)
    }

    /// Gives a connection back for the next request to its member, or closes it. Connections
    /// that carry a client's PROXY header stay with that client's connection.
    func release(_ upstream: UpstreamConnection, reusable: Bool, pool: PoolRuntime?) {
        upstream.handler.delegate = nil
        guard reusable, upstream.channel.isActive, upstream.member.member.weight > 0, let pool else {
            upstream.close()
            return
        }
        if pool.pool.proxyProtocol != nil {
            let key = ObjectIdentifier(upstream.member)
            if let previous = privateUpstreams[key], previous !== upstream { previous.close() }
            privateUpstreams[key] = upstream
        } else {
            loopContext.upstreams.release(upstream)
        }
    }

    /// Writes the response's end, having first moved to the next state: writing the end lets
    /// NIO's pipelining handler hand over the next request at once, within this call.
    func endResponse(_ context: ChannelHandlerContext, trailers: HTTPHeaders?, _ ex: Exchange) {
        cancelTimeout()
        switch machine.responseEnding() {
        case .close:
            let loopBound = context.loopBound
            context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { _ in
                loopBound.value.close(promise: nil)
            }
        case .nextRequest(let restartParser):
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            machine.responseEndWritten()
            if restartParser { restartRequestParser(context) }
            resumeClientReads()
        case .discardRequestBody:
            // The rest of the request body is read and dropped; then the next request.
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            resumeClientReads()
        }
    }

    /// Ready for the next request.
    func finishExchange(restartParser: Bool) {
        if restartParser, let context { restartRequestParser(context) }
        resumeClientReads()
    }

    /// The proxy answers itself (404, redirect, 502, 503, 504).
    func respondLocally(_ ex: Exchange, _ status: HTTPResponseStatus, _ reason: String, extraHeaders: HTTPHeaders = [:],
                        realServer: String? = nil) {
        guard let context else { return }
        let response = LocalResponse(status: status, reason: reason, close: !ex.clientKeepAlive, extraHeaders: extraHeaders)
        ex.status = status.code
        ex.bytesSent = response.bodyBytes
        stats.service.bytesOut += response.bodyBytes
        ex.firstByte = .now()
        finishLogging(ex, realServer: realServer)
        memberDone(ex)
        let version = ex.head.version.major == 1 ? ex.head.version : .http1_1
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: response.headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.bodyBuffer(context.channel.allocator)))), promise: nil)
        endResponse(context, trailers: nil, ex)
    }
}
