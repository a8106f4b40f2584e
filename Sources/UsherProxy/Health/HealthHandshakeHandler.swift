import NIOCore
import NIOSSL
import NIOTLS

/// Passes a TCP health check over TLS once the handshake (with its verification) has completed.
final class HealthHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let outcome: EventLoopPromise<HealthProbeResult>

    init(outcome: EventLoopPromise<HealthProbeResult>) {
        self.outcome = outcome
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            outcome.succeed(.passed)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelInactive(context: ChannelHandlerContext) {
        outcome.succeed(.failed("connection closed during the TLS handshake"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        outcome.succeed(.failed(Self.describe(error)))
        context.close(promise: nil)
    }

    /// A check failure in words: TLS errors say so, the rest as NIO describes them.
    static func describe(_ error: Error) -> String {
        switch error {
        case let error as NIOSSLError: return "TLS: \(error)"
        case let error as BoringSSLError: return "TLS: \(error)"
        case let error as NIOSSLExtraError: return "TLS: \(error)"
        default: return "\(error)"
        }
    }
}
