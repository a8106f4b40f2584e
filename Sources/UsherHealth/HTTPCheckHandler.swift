import NIOCore

/// An `https` check's answer, after TLS: the decrypted bytes go to the one judge of HTTP
/// answers, `HTTPAnswer` (the plain `http` check's too, on `SocketProber`), so both kinds pass
/// and fail on the same rules and in the same words.
final class HTTPCheckHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let answer: HTTPAnswer
    private let outcome: EventLoopPromise<ProbeResult>

    init(answer: HTTPAnswer, outcome: EventLoopPromise<ProbeResult>) {
        self.answer = answer
        self.outcome = outcome
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if let verdict = buffer.withUnsafeReadableBytes({ answer.received($0) }) { outcome.succeed(verdict) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        outcome.succeed(answer.ended())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        outcome.succeed(.failed(ProbeTLS.describe(error)))
        context.close(promise: nil)
    }
}
