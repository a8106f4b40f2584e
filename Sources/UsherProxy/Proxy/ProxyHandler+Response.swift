import NIOCore
import NIOHTTP1
import UsherCore

extension ProxyHandler {
    func upstreamReceived(_ part: HTTPClientResponsePart) {
        guard case .forwarding(let upstream) = phase, let ex = exchange, let context else { return }
        ex.lastActivity = .now()
        switch part {
        case .head(let head):
            if head.status == .switchingProtocols {
                guard ex.upgrade == .websocket,
                      head.headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "websocket" }) else {
                    // A switch nobody asked for: what follows is not HTTP any more.
                    upstream.close()
                    memberDone()
                    respondLocally(.badGateway, "service '\(service.name)': real server \(upstream.member.label) switched protocols unasked",
                                   realServer: upstream.member.label)
                    return
                }
                ex.switchingProtocols = true
            }
            ex.responseStarted = true
            ex.status = head.status.code
            ex.firstByte = ex.lastActivity
            ex.upstreamKeepAlive = head.isKeepAlive
            context.write(wrapOutboundOut(.head(makeClientHead(head, ex, member: upstream.member))), promise: nil)
        case .body(let buffer):
            ex.bytesSent += buffer.readableBytes
            stats.service.bytesOut += buffer.readableBytes
            memberStats?.bytesOut += buffer.readableBytes
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .end(let trailers):
            if ex.switchingProtocols {
                startTunnel(upstream, ex, context: context)
                return
            }
            upstream.completedExchanges += 1
            release(upstream, reusable: ex.upstreamKeepAlive && ex.requestEnded)
            finishLogging(ex, realServer: upstream.member.label)
            memberDone()
            endResponse(context, trailers: trailers, ex)
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
            head.version = ex.head.version
            if !ex.clientKeepAlive {
                head.headers.replaceOrAdd(name: "connection", value: "close")
            } else if ex.head.version.minor == 0 {
                head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
            }
        }
        return head
    }

    func upstreamFailed(_ error: Error) {
        guard case .forwarding(let upstream) = phase, let ex = exchange, let member = ex.member else { return }
        cancelTimeout()
        upstream.close()
        if ex.responseStarted {
            // Part of the response is out: the client can only learn of the failure by a close.
            finishLogging(ex, realServer: member.label)
            memberDone()
            closeClient()
            return
        }
        memberDone()
        ex.member = nil
        if upstream.isReused, upstream.nothingReceivedThisExchange, ex.head.method.isIdempotent, !ex.bodySent,
           !ex.retriedStaleConnection {
            // A kept-alive connection the real server closed as the request went out (its
            // keep-alive timeout): safe to send once more, on a new connection, since no byte of
            // a response came and the method is idempotent (RFC 9110 §9.2.2).
            ex.retriedStaleConnection = true
            connect(to: member, fresh: true)
            return
        }
        respondLocally(.badGateway, "service '\(service.name)': real server \(member.label) closed the connection before answering",
                       realServer: member.label)
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
            guard let limit = self.timeoutLimit, case .forwarding(let upstream) = self.phase, let ex = self.exchange else { return }
            if NIODeadline.now() - ex.lastActivity < limit {
                self.scheduleTimeout(at: ex.lastActivity + limit)
                return
            }
            self.timeoutLimit = nil
            self.upstreamTimedOut(upstream, ex)
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

    private func upstreamTimedOut(_ upstream: UpstreamConnection, _ ex: Exchange) {
        upstream.close()
        let label = upstream.member.label
        service.logger.warning("real server timed out", metadata: [
            "pool": "\(ex.pool?.name ?? "-")", "member": "\(label)", "response_started": "\(ex.responseStarted)"])
        if ex.responseStarted {
            finishLogging(ex, realServer: label)
            memberDone()
            closeClient()
            return
        }
        memberDone()
        respondLocally(.gatewayTimeout, "service '\(service.name)': real server \(label) did not answer in time",
                       realServer: label)
    }

    /// Gives a connection back for the next request to its member, or closes it. Connections
    /// that carry a client's PROXY header stay with that client's connection.
    func release(_ upstream: UpstreamConnection, reusable: Bool) {
        upstream.handler.delegate = nil
        guard reusable, upstream.channel.isActive, upstream.member.member.weight > 0, let pool = exchange?.pool else {
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
        if !ex.clientKeepAlive {
            phase = .closed
            exchange = nil
            let loopBound = context.loopBound
            context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { _ in
                loopBound.value.close(promise: nil)
            }
        } else if ex.requestEnded {
            phase = .idle
            exchange = nil
            writingResponseEnd = true
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            writingResponseEnd = false
            if ex.upgrade.parserStopped { restartRequestParser(context) }
            resumeClientReads()
        } else {
            // The rest of the request body is read and dropped; then the next request.
            phase = .discardingRequest
            parserRestartPending = ex.upgrade.parserStopped
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            resumeClientReads()
        }
    }

    /// Ready for the next request.
    func finishExchange() {
        phase = .idle
        exchange = nil
        if parserRestartPending, let context {
            parserRestartPending = false
            restartRequestParser(context)
        }
        resumeClientReads()
    }

    /// The proxy answers itself (404, redirect, 502, 503, 504).
    func respondLocally(_ status: HTTPResponseStatus, _ reason: String, extraHeaders: HTTPHeaders = [:], realServer: String? = nil) {
        guard let context, let ex = exchange else { return }
        let response = LocalResponse(status: status, reason: reason, close: !ex.clientKeepAlive, extraHeaders: extraHeaders)
        ex.status = status.code
        ex.responseStarted = true
        ex.bytesSent = response.bodyBytes
        stats.service.bytesOut += response.bodyBytes
        ex.firstByte = .now()
        finishLogging(ex, realServer: realServer)
        memberDone()
        let version = ex.head.version.major == 1 ? ex.head.version : .http1_1
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: response.headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.bodyBuffer(context.channel.allocator)))), promise: nil)
        endResponse(context, trailers: nil, ex)
    }
}
