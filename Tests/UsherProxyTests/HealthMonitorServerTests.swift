import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing
import UsherCore
import UsherTestSupport

/// A real server for health checks on 127.0.0.1 that can be switched between answering a status,
/// closing without an answer and staying silent; it counts what it answered and keeps the first
/// bytes of every connection (to see PROXY headers). With `tls`, it terminates TLS first.
final class HealthCheckedServer: Sendable {
    enum Mode: Sendable, Equatable {
        case status(Int)
        case close
        case silent

        var key: String {
            switch self {
            case let .status(code): return "\(code)"
            case .close: return "close"
            case .silent: return "silent"
            }
        }
    }

    fileprivate struct Record {
        var mode: Mode = .status(200)
        var answered: [String: Int] = [:]
        var connections = 0
        var prefixes: [[UInt8]] = []
    }

    /// Shared with the connection handlers.
    fileprivate final class Shared: Sendable {
        let record = Mutex(Record())

        /// Decides the answer to a complete request (counted at that moment).
        func answer(prefix: [UInt8]) -> Mode {
            record.withLock {
                $0.prefixes.append(prefix)
                $0.answered[$0.mode.key, default: 0] += 1
                return $0.mode
            }
        }
    }

    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let channel: Channel
    private let shared = Shared()

    var port: Int { channel.localAddress?.port ?? 0 }
    var member: PoolMember { PoolMember(address: .v4(127, 0, 0, 1), port: UInt16(port)) }

    init(tls: CertificateFiles? = nil) async throws {
        let context = try tls.map { files in
            try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificatePath).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: files.keyPath, format: .pem))))
        }
        let shared = self.shared
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    shared.record.withLock { $0.connections += 1 }
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    try channel.pipeline.syncOperations.addHandler(Responder(server: shared))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// Switches the answer; returns how many answers of each kind were given before the switch.
    @discardableResult
    func set(_ mode: Mode) -> [String: Int] {
        shared.record.withLock { $0.mode = mode; return $0.answered }
    }

    func answered(_ mode: Mode) -> Int { shared.record.withLock { $0.answered[mode.key] ?? 0 } }
    var connections: Int { shared.record.withLock { $0.connections } }
    var prefixes: [[UInt8]] { shared.record.withLock { $0.prefixes } }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let server: Shared
        var bytes: [UInt8] = []
        var done = false

        init(server: Shared) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
            // The request ends at the first blank line after "GET " (a PROXY v2 header holds CRLFCRLF too).
            guard !done, let get = find(Array("GET ".utf8), from: 0), find(Array("\r\n\r\n".utf8), from: get) != nil else { return }
            done = true
            switch server.answer(prefix: Array(bytes.prefix(64))) {
            case let .status(code):
                let response = "HTTP/1.1 \(code) Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response)), promise: nil)
            case .close:
                context.close(promise: nil)
            case .silent:
                break
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }

        private func find(_ needle: [UInt8], from start: Int) -> Int? {
            guard bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
            for index in start...(bytes.count - needle.count) where bytes[index..<(index + needle.count)].elementsEqual(needle) {
                return index
            }
            return nil
        }
    }
}
