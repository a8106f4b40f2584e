import NIOCore
import NIOHTTP1

/// Turns an HTTP client connection and its real server's connection into a raw byte tunnel
/// once the real has answered `101 Switching Protocols` (and the 101 has been written to the
/// client): every HTTP handler leaves both pipelines and a `TunnelGlueHandler` takes their
/// place. Bytes the HTTP parsers had read past the handshake (frames the real sent right
/// behind its 101) are handed to the glue when the parsers leave, so nothing is lost.
enum TunnelSplice {
    /// Call on the channels' event loop, from the proxy handler (`proxy`) of the client
    /// connection, while the real's response decoder delivers the end of the 101.
    static func splice(client: ChannelHandlerContext, real: Channel, tunnel: Tunnel) throws {
        let (clientGlue, realGlue) = TunnelGlueHandler.matchedPair(tunnel)
        let clientPipeline = client.pipeline.syncOperations
        let realPipeline = real.pipeline.syncOperations
        try clientPipeline.addHandler(clientGlue)
        try realPipeline.addHandler(realGlue)

        // Everything between the parser and the glue leaves first, so that what the parser
        // hands over on its way out (one loop turn later) reaches the glue.
        remove(ConnectionTimeoutHandler.self, from: clientPipeline)
        remove(HTTPServerUpgradeHandler.self, from: clientPipeline)
        remove(NIOHTTPResponseHeadersValidator.self, from: clientPipeline)
        remove(HTTPServerPipelineHandler.self, from: clientPipeline)
        remove(RequestGuardHandler.self, from: clientPipeline)
        clientPipeline.removeHandler(context: client, promise: nil)
        remove(HTTPResponseEncoder.self, from: clientPipeline)
        remove(ByteToMessageHandler<HTTPRequestDecoder>.self, from: clientPipeline)

        remove(UpstreamHandler.self, from: realPipeline)
        remove(NIOHTTPRequestHeadersValidator.self, from: realPipeline)
        remove(HTTPRequestEncoder.self, from: realPipeline)
        remove(ByteToMessageHandler<HTTPResponseDecoder>.self, from: realPipeline)

        let clientChannel = client.channel
        tunnel.start([clientChannel, real])
        // Runs after the parsers have left (their removal is queued first): write out what they
        // handed over, and read again on both sides (a read may have been held back).
        let loopBound = NIOLoopBound((clientGlue, realGlue), eventLoop: real.eventLoop)
        real.eventLoop.execute {
            let (c, r) = loopBound.value
            c.flushPartner()
            r.flushPartner()
            clientChannel.read()
            real.read()
        }
    }

    private static func remove<H: RemovableChannelHandler>(_ type: H.Type, from pipeline: ChannelPipeline.SynchronousOperations) {
        guard let handler = try? pipeline.handler(type: type) else { return }
        pipeline.removeHandler(handler, promise: nil)
    }
}
