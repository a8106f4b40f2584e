import NIOCore
import NIOHTTP1
import NIOPosix
import UsherCore

/// POSTs a JSON body to a webhook, on a connection of its own (`Connection: close`), TLS for
/// https; any 2xx answer is success. Everything within the webhook's timeout.
public struct WebhookClient: Sendable {
    let group: any EventLoopGroup

    public init(group: any EventLoopGroup) {
        self.group = group
    }

    public func post(_ body: [UInt8], to webhook: WebhookAlert) async throws {
        do {
            try await AlertExchange.run(group: group, host: webhook.host, port: webhook.port, timeout: webhook.timeoutSeconds,
                                        timedOut: { WebhookError.timedOut(after: webhook.timeoutSeconds) }) { channel, promise in
                let sync = channel.pipeline.syncOperations
                if webhook.secure { try sync.addHandler(AlertTLS.handler(host: webhook.host, caFile: webhook.caFile)) }
                try sync.addHTTPClientHandlers()
                try sync.addHandler(WebhookHandler(webhook: webhook, body: body, promise: promise))
            }
        } catch let error as WebhookError {
            throw error
        } catch {
            throw WebhookError.failed("\(webhook.url): \(error)")
        }
    }
}

/// Why a webhook POST failed.
public enum WebhookError: Error, Sendable, Equatable, CustomStringConvertible {
    case status(Int, String)
    case timedOut(after: Double)
    case closed
    case failed(String)

    public var description: String {
        switch self {
        case let .status(code, reason): "the webhook answered \(code) \(reason)"
        case let .timedOut(seconds): "the webhook did not answer within \(seconds) s"
        case .closed: "the webhook closed the connection before answering"
        case let .failed(reason): "cannot POST to the webhook \(reason)"
        }
    }
}

/// Writes the request once connected, completes the promise with the answer's status.
final class WebhookHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let webhook: WebhookAlert
    private let body: [UInt8]
    private let promise: EventLoopPromise<Void>
    private var status: HTTPResponseStatus?

    init(webhook: WebhookAlert, body: [UInt8], promise: EventLoopPromise<Void>) {
        self.webhook = webhook
        self.body = body
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        let defaultPort = webhook.secure ? 443 : 80
        var host = HostPort(host: webhook.host, port: webhook.port).description
        if webhook.port == defaultPort { host = String(host.dropLast(":\(defaultPort)".count)) }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: webhook.target)
        head.headers.add(name: "Host", value: host)
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "User-Agent", value: "usher")
        head.headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            status = head.status
        case .body:
            break
        case .end:
            guard let status else { return promise.fail(WebhookError.closed) }
            if (200..<300).contains(status.code) {
                promise.succeed(())
            } else {
                promise.fail(WebhookError.status(Int(status.code), status.reasonPhrase))
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(WebhookError.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(WebhookError.failed("\(webhook.url): \(error)"))
        context.close(promise: nil)
    }
}
