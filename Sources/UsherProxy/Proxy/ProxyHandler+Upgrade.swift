import NIOCore
import NIOHTTP1

extension ProxyHandler {
    /// The real answered 101 to a WebSocket handshake and its end has arrived: the 101 goes
    /// out, then both connections become a raw byte tunnel. The real's connection is never
    /// pooled again; the member's active count is held until the tunnel closes.
    func startTunnel(_ upstream: UpstreamConnection, _ ex: Exchange, context: ChannelHandlerContext) {
        stopTimeoutTask()
        upstream.handler.delegate = nil
        upstream.completedExchanges += 1
        finishLogging(ex, realServer: upstream.member.label)
        let member = ex.member
        let serviceStats = stats.service
        let memberStats = memberStats(of: ex)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        let tunnel = Tunnel(
            loop: loopContext.loop, idleTimeout: loopContext.tuning.tunnelIdleTimeout,
            onTransfer: { bytes, side in
                if side == .client {
                    serviceStats.bytesIn += bytes
                    memberStats?.bytesIn += bytes
                } else {
                    serviceStats.bytesOut += bytes
                    memberStats?.bytesOut += bytes
                }
            },
            onClose: { member?.active.subtract(1, ordering: .relaxed) })
        do {
            try TunnelSplice.splice(client: context, real: upstream.channel, tunnel: tunnel)
        } catch {
            service.logger.warning("cannot splice an upgraded connection", metadata: ["error": "\(error)"])
            upstream.close()
            tunnel.close()
            context.close(promise: nil)
        }
    }

    /// NIO's parser stops after a request it takes as an upgrade; when the connection goes on
    /// as HTTP (the real refused, or the upgrade is not one the proxy tunnels), a new parser
    /// (with its encoder and pipelining handler) takes over, fed what the old one had not parsed.
    func restartRequestParser(_ context: ChannelHandlerContext) {
        let sync = context.pipeline.syncOperations
        guard let oldDecoder = try? sync.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self) else { return }
        let old: [RemovableChannelHandler?] = [
            try? sync.handler(type: HTTPResponseEncoder.self),
            try? sync.handler(type: HTTPServerPipelineHandler.self),
            try? sync.handler(type: NIOHTTPResponseHeadersValidator.self),
            try? sync.handler(type: HTTPServerUpgradeHandler.self),
        ]
        do {
            try FrontPipeline.addHTTP1Codec(sync, limits: service.limits, position: .after(oldDecoder))
        } catch {
            closeClient()
            return
        }
        for handler in old.compactMap({ $0 }) { sync.removeHandler(handler, promise: nil) }
        // Leaves one loop turn later, handing its unparsed bytes to the new parser behind it.
        sync.removeHandler(oldDecoder, promise: nil)
    }
}
