import NIOCore
import NIOHTTP1
import UsherCore

/// Judges the answer to an HTTP check: the status must be among the expected ones and, when the
/// check names one, the body (its first 64 KiB) must contain a substring. Anything else — another
/// status, an error, a close before the answer is complete — fails the check.
final class HTTPCheckHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    static let bodyLimit = 64 * 1024

    private let check: HTTPCheck
    private let outcome: EventLoopPromise<ProbeResult>
    private var body: [UInt8] = []

    init(check: HTTPCheck, outcome: EventLoopPromise<ProbeResult>) {
        self.check = check
        self.outcome = outcome
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            let status = Int(head.status.code)
            if !check.expectStatus.contains(status) {
                outcome.succeed(.failed("status \(status), expected \(check.expectStatus)"))
            } else if check.bodyContains == nil {
                outcome.succeed(.passed)
            }
        case var .body(buffer):
            let room = Self.bodyLimit - body.count
            if room > 0, let bytes = buffer.readBytes(length: min(room, buffer.readableBytes)) { body += bytes }
            if let wanted = check.bodyContains, containsWanted(wanted) { outcome.succeed(.passed) }
        case .end:
            if let wanted = check.bodyContains {
                outcome.succeed(containsWanted(wanted) ? .passed : .failed("body does not contain \"\(wanted)\""))
            }
        }
    }

    private func containsWanted(_ wanted: String) -> Bool {
        String(decoding: body, as: UTF8.self).contains(wanted)
    }

    func channelInactive(context: ChannelHandlerContext) {
        outcome.succeed(.failed("connection closed before a complete answer"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        outcome.succeed(.failed(ProbeTLS.describe(error)))
        context.close(promise: nil)
    }
}
