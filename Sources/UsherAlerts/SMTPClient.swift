import Foundation
import NIOCore
import NIOPosix
import NIOTLS
import UsherCore

/// Sends one email over SMTP as `SMTPSession` says: a connection per email, no login, STARTTLS
/// when the settings ask for it, everything within the settings' timeout.
public struct SMTPClient: Sendable {
    let group: any EventLoopGroup
    /// The name given in EHLO: this host's.
    let heloName: String

    public init(group: any EventLoopGroup, heloName: String) {
        self.group = group
        self.heloName = heloName
    }

    public func send(subject: String, body: String, with settings: EmailAlert, date: Date = Date()) async throws {
        let message = EmailMessage(from: settings.from, to: settings.to, subject: subject, body: body, date: date,
                                   messageID: "\(UUID().uuidString.lowercased())@\(heloName)")
        let session = SMTPSession(heloName: heloName, from: settings.from, to: settings.to, message: message.stuffed,
                                  requireTLS: settings.startTLS)
        let steps = StepTracker()
        do {
            try await AlertExchange.run(group: group, host: settings.server, port: settings.port, timeout: settings.timeoutSeconds,
                                        timedOut: { SMTPError.timedOut(after: settings.timeoutSeconds, step: steps.step) }) { channel, promise in
                let handler = SMTPHandler(session: session, promise: promise, steps: steps,
                                          startTLS: { try AlertTLS.handler(host: settings.server, caFile: settings.caFile) })
                try channel.pipeline.syncOperations.addHandlers([ByteToMessageHandler(SMTPReplyDecoder()), handler])
            }
        } catch let error as SMTPError {
            throw error
        } catch {
            throw SMTPError.connect("\(settings.server):\(settings.port): \(error)")
        }
    }
}

/// The step the exchange is at, for a timeout's message (read off the event loop).
final class StepTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var current = "connect"
    var step: String {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }
}

/// Performs the session's actions on the channel and completes the promise with the outcome.
final class SMTPHandler: ChannelInboundHandler {
    typealias InboundIn = SMTPReply
    typealias OutboundOut = ByteBuffer

    private var session: SMTPSession
    private let promise: EventLoopPromise<Void>
    private let steps: StepTracker
    private let startTLS: () throws -> ChannelHandler
    private var completed = false

    init(session: SMTPSession, promise: EventLoopPromise<Void>, steps: StepTracker, startTLS: @escaping () throws -> ChannelHandler) {
        self.session = session
        self.promise = promise
        self.steps = steps
        self.startTLS = startTLS
        steps.step = session.step
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        perform(session.received(unwrapInboundIn(data)), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            perform(session.tlsEstablished(), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(SMTPError.closed(step: session.step)))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let reason: SMTPError = (error as? SMTPError) ?? .protocolViolation("\(error) (at \(session.step))")
        finish(.failure(reason))
        context.close(promise: nil)
    }

    private func perform(_ action: SMTPSession.Action, context: ChannelHandlerContext) {
        steps.step = session.step
        switch action {
        case let .send(command):
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: command + "\r\n")), promise: nil)
        case let .sendMessage(bytes):
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
        case .startTLS:
            do {
                try context.pipeline.syncOperations.addHandler(startTLS(), position: .first)
            } catch {
                finish(.failure(SMTPError.protocolViolation("cannot start TLS: \(error)")))
                context.close(promise: nil)
            }
        case .done:
            finish(.success(()))
            context.close(promise: nil)
        case let .fail(error):
            finish(.failure(error))
            context.close(promise: nil)
        }
    }

    private func finish(_ result: Result<Void, Error>) {
        guard !completed else { return }
        completed = true
        promise.completeWith(result)
    }
}
