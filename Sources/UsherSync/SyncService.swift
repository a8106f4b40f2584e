import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UsherBPF
import UsherCore

/// Flow-state sync as a service of the daemon's `ServiceGroup` (Docs/ARCHITECTURE.md,
/// "Flow-state sync"): listens on `sync: address:port` (UDP), writes what peers send into the
/// tables, and every `interval` sends each peer the flows that changed (a heartbeat when none
/// did), plus a full pass to a peer that appeared. Its counters go to `<state dir>/sync.json`.
public struct SyncService: Service {
    typealias Channel = NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>

    let engine: SyncEngine
    /// As given, `address` resolved: this host's own sync address, the others as peers.
    let settings: SyncSettings
    let address: IPAddress
    let channel: Channel
    let group: any EventLoopGroup
    let stateDirectory: String
    let logger: Logger

    /// Reads the key file, opens the tables pinned in `pinDirectory` and binds the UDP socket,
    /// so that a daemon whose sync cannot work refuses to start (before it tells systemd it is
    /// ready) with the reason and what to do.
    public init(settings given: SyncSettings, pinDirectory: String, stateDirectory: String, group: any EventLoopGroup,
                logger: Logger) async throws {
        guard let settings = given.resolved(local: LocalAddresses.current()), let address = settings.address else {
            let listed = given.peers.map(\.description).joined(separator: ", ")
            throw SyncServiceError(message: "sync: without `address:`, exactly one of the peers (\(listed)) must be an address "
                + "of this host; add `sync: address:` with this balancer's sync address")
        }
        self.address = address
        var key: [UInt8]?
        if let path = settings.keyFile {
            if let problem = ConfigValidator.syncKeyProblem(path) { throw SyncServiceError(message: "sync key: \(problem)") }
            key = ConfigValidator.syncKey(at: path)
        }
        let tables = try FlowTableSync(pinDirectory: pinDirectory)
        channel = try await Self.bind(address, port: settings.port, group: group)
        self.engine = SyncEngine(settings: settings, key: key, tables: tables, logger: logger)
        self.settings = settings
        self.group = group
        self.stateDirectory = stateDirectory
        self.logger = logger
    }

    public func run() async throws {
        logger.notice("sync listening", metadata: ["address": "\(address)", "port": "\(settings.port)",
                                                   "peers": "\(settings.peers.map(\.description).joined(separator: ", "))"])
        var channel: Channel? = self.channel
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let open = channel {
                try await serve(open)
                channel = nil
                guard !Task.isCancelled && !Task.isShuttingDownGracefully else { break }
                // The socket closed under us: the kernel refused a send or a receive (the link went
                // down, the route went away). Open it again every second until it works.
                await engine.socketClosed()
            }
            await engine.saveStatus(in: stateDirectory)
            let slept: Void?? = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            guard case .some(.some) = slept else { break }
            channel = try? await Self.bind(address, port: settings.port, group: group)
        }
        await engine.saveStatus(in: stateDirectory)
    }

    /// Receives, sends every interval and writes the status until graceful shutdown or until the
    /// socket closes.
    private func serve(_ channel: Channel) async throws {
        let peers = try settings.peers.map { try SocketAddress(ipAddress: "\($0)", port: Int(settings.port)) }
        let byAddress = Dictionary(uniqueKeysWithValues: zip(settings.peers, peers))
        let interval = Duration.milliseconds(Int64(settings.intervalMilliseconds))
        try await channel.executeThenClose { inbound, outbound in
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await envelope in inbound.cancelOnGracefulShutdown() {
                            let sender = envelope.remoteAddress.ipAddress.flatMap(IPAddress.init)
                            await engine.receive(Array(envelope.data.readableBytesView), from: sender)
                        }
                    } catch {
                        logger.debug("sync: receiving stopped", metadata: ["error": "\(error)"])
                    }
                }
                group.addTask {
                    await every(interval) {
                        var failed = 0
                        let datagrams = await engine.round()
                        for (peer, bytes) in datagrams {
                            guard let address = byAddress[peer] else { continue }
                            do {
                                try await outbound.write(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: bytes)))
                            } catch {
                                failed += 1
                            }
                        }
                        await engine.sent(datagrams.count - failed, failed: failed)
                    }
                }
                group.addTask { await every(.seconds(1)) { await engine.saveStatus(in: stateDirectory) } }
                // The first task to end (graceful shutdown, or the socket closed) ends the others.
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// The UDP socket on `sync: address:port`.
    static func bind(_ address: IPAddress, port: UInt16, group: any EventLoopGroup) async throws -> Channel {
        do {
            return try await DatagramBootstrap(group: group)
                .bind(host: "\(address)", port: Int(port)) { channel in
                    channel.eventLoop.makeCompletedFuture { try Channel(wrappingChannelSynchronously: channel) }
                }
        } catch {
            throw SyncServiceError(message: "sync: cannot listen on \(address) UDP port \(port): \(error); " +
                "check that `sync: address:` is an address of this host and that no other process uses the port")
        }
    }
}

/// Runs `body` every `interval` until graceful shutdown or cancellation.
private func every(_ interval: Duration, _ body: @Sendable () async -> Void) async {
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
        await body()
        let slept: Void?? = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        guard case .some(.some) = slept else { return }
    }
}
