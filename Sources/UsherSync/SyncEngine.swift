import Foundation
import Logging
import UsherBPF
import UsherCore

/// The sync service's state and the one place that changes it: the tables (`FlowTableSync`),
/// the peers, the counters. The network side (`SyncService`) hands it datagrams and asks it for
/// the datagrams of each round.
actor SyncEngine {
    let settings: SyncSettings
    let codec: SyncCodec
    private let tables: SyncTableWorker
    private let logger: Logger
    private var peers: PeerTable
    private(set) var status: SyncStatus
    private var sequence: UInt32 = 0
    private var loggedDrops: Set<String> = []
    private var socketDown = false

    init(settings: SyncSettings, key: [UInt8]?, tables: FlowTableSync, logger: Logger) {
        self.settings = settings
        self.codec = SyncCodec(key: key)
        self.tables = SyncTableWorker(tables)
        self.logger = logger
        self.peers = PeerTable(peers: settings.peers)
        let listen = settings.address.map { $0.isV4 ? "\($0):\(settings.port)" : "[\($0)]:\(settings.port)" } ?? "?"
        self.status = SyncStatus(listen: listen, signed: key != nil)
    }

    /// One datagram from `sender`: checked, then its flows written under the merge rule.
    func receive(_ datagram: [UInt8], from sender: IPAddress?) async {
        guard let sender, peers.isPeer(sender) else {
            drop("unknown-peer", "a datagram from \(sender.map { "\($0)" } ?? "a non-IP address"), which is not a peer")
            return
        }
        switch codec.decode(datagram, nowMilliseconds: Self.wallClockMilliseconds()) {
        case let .failure(error):
            drop(error.counter, "a datagram from \(sender): \(error)")
        case let .success(message):
            status.messagesReceived += 1
            if socketDown {
                socketDown = false
                logger.notice("sync: messages flow again", metadata: ["peer": "\(sender)"])
            }
            status.flowsReceived += message.flows.count
            if peers.heard(from: sender, at: .now) {
                logger.notice("sync peer appeared: it gets a full pass", metadata: ["peer": "\(sender)"])
            }
            do {
                let flows = message.flows
                let counts = try await tables.run { try $0.apply(flows) }
                status.flowsApplied += counts.written
                status.flowsKeptLocal += counts.keptLocal
                status.flowsUnmapped += counts.unmapped
            } catch {
                status.tableErrors += 1
                logger.error("sync: cannot write received flows", metadata: ["error": "\(error)"])
            }
        }
    }

    /// This round's datagrams: the changed flows for every peer (a heartbeat when none changed),
    /// and a full pass for each peer that appeared since the last round.
    func round() async -> [(peer: IPAddress, datagram: [UInt8])] {
        var out: [(IPAddress, [UInt8])] = []
        let changes: [FlowRecord]
        do {
            changes = try await tables.run { try $0.changes() }
        } catch {
            status.tableErrors += 1
            logger.error("sync: cannot read the flow tables", metadata: ["error": "\(error)"])
            changes = []
        }
        let delta = codec.encode(changes, flags: [], sequence: sequence, sentAtMilliseconds: Self.wallClockMilliseconds())
        sequence &+= UInt32(delta.count)
        for peer in settings.peers { out += delta.map { (peer, $0) } }
        status.flowsSent += changes.count * settings.peers.count
        for peer in peers.takeAppeared() {
            do {
                let all = try await tables.run { try $0.all() }
                let pass = codec.encode(all, flags: .fullPass, sequence: sequence,
                                        sentAtMilliseconds: Self.wallClockMilliseconds())
                sequence &+= UInt32(pass.count)
                out += pass.map { (peer, $0) }
                status.flowsSent += all.count
                status.fullPasses += 1
            } catch {
                status.tableErrors += 1
                logger.error("sync: cannot read the flow tables for a full pass", metadata: ["peer": "\(peer)", "error": "\(error)"])
            }
        }
        return out
    }

    /// The socket closed: counted, and logged once per outage (a valid message from a peer ends it:
    /// a send that returned only queued its datagram).
    func socketClosed() {
        status.socketClosures += 1
        guard !socketDown else { return }
        socketDown = true
        logger.warning("sync: the socket closed (the kernel refused a send: link down or no route?); opening it again every second")
    }

    func sent(_ count: Int, failed: Int) {
        status.messagesSent += count
        status.sendErrors += failed
    }

    /// The status with the peers as they are now, saved to the state directory.
    func saveStatus(in stateDirectory: String) {
        let now = ContinuousClock.now
        let wall = Date()
        status.peers = settings.peers.map { peer in
            let entry = peers.entries[peer]
            let lastAt = entry?.lastHeard.map { wall.addingTimeInterval(-Self.seconds(now - $0)) }
            return SyncStatus.Peer(address: "\(peer)", present: peers.isPresent(peer, at: now), lastMessageAt: lastAt,
                                   appearances: entry?.appearances ?? 0)
        }
        status.updatedAt = wall
        do {
            try status.save(in: stateDirectory)
        } catch {
            logger.error("sync: cannot write its status", metadata: ["error": "\(error)"])
        }
    }

    private func drop(_ counter: String, _ what: String) {
        status.dropped[counter, default: 0] += 1
        // The first drop of each kind is logged; the rest are counted only (a flood must not fill the log).
        if loggedDrops.insert(counter).inserted {
            logger.warning("sync: dropped \(what) (further drops of this kind are only counted)")
        }
    }

    static func wallClockMilliseconds() -> UInt64 { UInt64(max(0, Date().timeIntervalSince1970 * 1000)) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
