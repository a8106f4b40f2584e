import Foundation
import NIOCore
import NIOPosix
import UsherCore

/// A check over UDP (`udp` and `dns`): one datagram to the real from a connected socket; it
/// passes when a reply that `match` accepts comes back before the timeout. An ICMP port
/// unreachable (seen as a refused read) fails it at once; silence fails it at the timeout.
struct DatagramProbe: Sendable {
    enum Match: Sendable {
        case udp(UDPExpectation)
        /// The reply to query `id` with one of these rcodes.
        case dns(id: UInt16, expect: [UInt8])
    }

    let destination: ProbeTarget
    let request: [UInt8]
    let match: Match

    func run(on eventLoop: EventLoop, outcome: EventLoopPromise<ProbeResult>) {
        guard let address = destination.socketAddress(failing: outcome) else { return }
        let request = self.request, match = self.match
        DatagramBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramReplyHandler(match: match, outcome: outcome))
                }
            }
            .bind(host: destination.address.isV4 ? "0.0.0.0" : "::", port: 0)
            .flatMap { channel in
                outcome.futureResult.whenComplete { _ in channel.close(promise: nil) }
                return channel.connect(to: address).flatMap {
                    let data = channel.allocator.buffer(bytes: request)
                    return channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: data))
                }
            }
            .whenFailure { error in
                outcome.succeed(.failed("cannot send: \(error)"))
            }
    }
}

/// Reads the replies of a datagram check until one decides it.
final class DatagramReplyHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let match: DatagramProbe.Match
    private let outcome: EventLoopPromise<ProbeResult>

    init(match: DatagramProbe.Match, outcome: EventLoopPromise<ProbeResult>) {
        self.match = match
        self.outcome = outcome
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data).data
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        switch match {
        case let .udp(expectation):
            outcome.succeed(Self.judge(bytes, against: expectation))
        case let .dns(id, expect):
            // A reply to another query (a late one) is not ours: wait on.
            guard let reply = DNSMessage.reply(bytes), reply.id == id else { return }
            outcome.succeed(expect.contains(reply.rcode)
                ? .passed
                : .failed("rcode \(DNSCheck.rcodeName(reply.rcode)), expected \(expect.map(DNSCheck.rcodeName).joined(separator: " or "))"))
        }
    }

    static func judge(_ reply: [UInt8], against expectation: UDPExpectation) -> ProbeResult {
        switch expectation {
        case .anyReply:
            return .passed
        case let .bytes(wanted):
            return reply == wanted ? .passed : .failed("reply of \(reply.count) bytes differs from the expected \(wanted.count)")
        case let .regex(pattern):
            guard let regex = try? Regex(pattern) else { return .failed("regex \"\(pattern)\" does not compile") }
            let text = String(decoding: reply, as: UTF8.self)
            return text.contains(regex) ? .passed : .failed("reply does not match /\(pattern)/")
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let io = error as? IOError, io.errnoCode == ECONNREFUSED {
            outcome.succeed(.failed("port unreachable"))
        } else {
            outcome.succeed(.failed("receive failed: \(error)"))
        }
        context.close(promise: nil)
    }
}
