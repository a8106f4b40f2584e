import UsherCore
import NIOCore
import NIOHTTP1

/// Reads the response to an HTTP health check: the check passes when the status line carries
/// `expectStatus`. Anything else (another status, an error, a close before the status) fails it.
final class HealthResponseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let expectStatus: StatusCodes
    private let outcome: EventLoopPromise<HealthProbeResult>

    init(expectStatus: StatusCodes, outcome: EventLoopPromise<HealthProbeResult>) {
        self.expectStatus = expectStatus
        self.outcome = outcome
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case let .head(head) = unwrapInboundIn(data) else { return }
        let status = Int(head.status.code)
        outcome.succeed(expectStatus.contains(status) ? .passed : .failed("status \(status), expected \(expectStatus)"))
    }

    func channelInactive(context: ChannelHandlerContext) {
        outcome.succeed(.failed("connection closed before a response"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        outcome.succeed(.failed(HealthHandshakeHandler.describe(error)))
        context.close(promise: nil)
    }
}
