import NIOCore

/// Ends an HTTP/2 connection once NIO's HTTP/2 handler has met a connection error (a frame it
/// cannot parse, FRAME_SIZE_ERROR, PROTOCOL_ERROR, a CONTINUATION, SETTINGS, PING or empty
/// DATA flood answered with ENHANCE_YOUR_CALM, …). That handler writes a GOAWAY naming the
/// error but keeps the connection open and keeps reading: a client that goes on sending had
/// every byte buffered (1 GiB of memory for 1 GiB sent). Here, as that GOAWAY goes out:
/// nothing more is read (reads are not asked for, bytes already read are dropped), the GOAWAY
/// is flushed, and the connection is closed when it has been written, or after `closeBound`
/// if the client does not take it. A GOAWAY with NO_ERROR (the idle close) is left alone.
/// Sits between the TLS handler and `NIOHTTP2Handler`, on the connection's bytes. The close
/// starts from `transport` (the TLS handler's context) when given, so it skips TLS's own
/// close, which would wait up to 5 s for the client's close_notify, decrypting all the while.
final class HTTP2ConnectionErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// How long the GOAWAY may take to leave before the connection is closed anyway.
    static let defaultCloseBound: TimeAmount = .seconds(1)

    private var scanner = HTTP2OutboundFrameScanner()
    private let closeBound: TimeAmount
    /// A connection error was answered: the connection only waits to close.
    private(set) var closing = false

    private let transport: ChannelHandlerContext?

    init(closeBound: TimeAmount = defaultCloseBound, transport: ChannelHandlerContext? = nil) {
        self.closeBound = closeBound
        self.transport = transport
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        guard !closing else { return }
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !closing else {
            context.write(data, promise: promise)
            return
        }
        let code: UInt32?
        switch unwrapOutboundIn(data) {
        case .byteBuffer(let buffer): code = buffer.withUnsafeReadableBytes { scanner.scan($0) }
        case .fileRegion(let region):
            scanner.skip(region.readableBytes)
            code = nil
        }
        guard let code, code != 0 else {
            context.write(data, promise: promise)
            return
        }
        closing = true
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.cascade(to: promise)
        context.write(data, promise: written)
        context.flush()
        let closer = (transport ?? context).loopBound
        let giveUp = context.eventLoop.assumeIsolated().scheduleTask(in: closeBound) {
            closer.value.close(promise: nil)
        }
        written.futureResult.assumeIsolated().whenComplete { _ in
            giveUp.cancel()
            closer.value.close(promise: nil)
        }
    }
}
