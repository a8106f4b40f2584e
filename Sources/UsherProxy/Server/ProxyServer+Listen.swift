import NIOCore
import NIOExtras
import NIOPosix
import UsherCore

extension ProxyServer {
    /// Accept queue length asked of the kernel (capped by net.core.somaxconn).
    static let acceptBacklog: Int32 = 1024

    /// `IP_FREEBIND` (linux/in.h) and `IPV6_FREEBIND` (linux/in6.h, kernel 4.15+): bind an
    /// address no interface holds (yet). Always set on listeners: a VIP is typically not a
    /// local address (the XDP program passes its L7 traffic up to the host), or arrives on an
    /// interface after the proxy starts.
    static func freeBindOption(for vip: IPAddress) -> ChannelOptions.Types.SocketOption {
        vip.isV4
            ? .init(level: .ip, name: .init(rawValue: 15))
            : .init(level: .ipv6, name: .init(rawValue: 78))
    }

    /// Listens on the service's VIP and port (whether or not an interface holds the VIP: see
    /// `freeBindOption`). Each accepted connection is counted against
    /// `maxConnections` (over it: closed at once), then gets TLS (https) and the HTTP handlers
    /// of the service as configured on its event loop at that moment.
    func listen(_ service: VirtualService, quiesce: ServerQuiescingHelper) async throws -> Listener {
        let loops = self.loops
        let name = service.name
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: ProxyServer.acceptBacklog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ProxyServer.freeBindOption(for: service.vip), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                ProxyServer.initializeConnection(channel, service: name, loops: loops)
            }
        let host = "\(service.vip)"
        let channel: Channel
        do {
            channel = try await bootstrap.bind(host: host, port: Int(service.port)).get()
        } catch {
            throw ProxyConfigurationError.cannotListen(service: name, address: "\(service.key)", reason: "\(error)")
        }
        guard let address = channel.localAddress else {
            try? await channel.close()
            throw ProxyConfigurationError.cannotListen(service: name, address: "\(service.key)", reason: "no local address")
        }
        logger.info("listening", metadata: ["service": "\(name)", "address": "\(address)", "mode": "\(service.mode.rawValue)"])
        return Listener(channel: channel, key: service.key, address: address)
    }

    static func initializeConnection(_ channel: Channel, service name: String, loops: LoopTable) -> EventLoopFuture<Void> {
        guard let context = loops[channel.eventLoop], let runtime = context.services[name] else {
            channel.close(promise: nil)
            return channel.eventLoop.makeSucceededVoidFuture()
        }
        let counters = runtime.counters
        guard counters.admitConnection(limit: runtime.limits.maxConnections) else {
            channel.close(promise: nil)
            return channel.eventLoop.makeSucceededVoidFuture()
        }
        channel.closeFuture.whenComplete { _ in counters.releaseConnection() }
        guard let store = runtime.certificates else {
            return channel.eventLoop.makeCompletedFuture {
                try FrontPipeline.configure(channel, service: runtime, loopContext: context, isHTTP2Stream: false)
            }
        }
        return ServerTLSPipeline.configure(
            channel, store: store, alpn: runtime.settings.tls?.alpn ?? [.http1_1], limits: runtime.limits,
            onHandshake: { completed in
                if completed {
                    counters.tlsHandshakes.add(1, ordering: .relaxed)
                } else {
                    counters.tlsHandshakeFailures.add(1, ordering: .relaxed)
                }
            }
        ) { decrypted in
            decrypted.eventLoop.makeCompletedFuture {
                guard let context = loops[decrypted.eventLoop] else { return }
                try FrontPipeline.configure(
                    decrypted, service: runtime, loopContext: context,
                    isHTTP2Stream: ServerTLSPipeline.isHTTP2Stream(decrypted))
            }
        }
    }
}
