import CNetlink
import Foundation
import UsherCore

/// Listens to the kernel's neighbour, route and link changes (rtnetlink groups RTNLGRP_NEIGH,
/// RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_LINK) of the network namespace it was
/// created in, and delivers them as `events`, for the daemon to call
/// `Dataplane.refreshNextHops(resolver:)` when a real server's next hop may have moved (a
/// replaced NIC, a moved VM, a new route).
///
/// One thread reads the socket, waking at least every `pollInterval` to see whether it was
/// stopped. `stop()` (or deinit) ends it within that interval and finishes `events`. If the
/// consumer falls behind, the oldest undelivered events are dropped (`bufferSize`): each
/// event only means "look again", so the newest ones suffice. If the kernel itself drops
/// events, `.eventsLost` is delivered.
public final class NextHopMonitor: @unchecked Sendable {
    /// The changes, in the order the kernel reported them; finished by `stop()`.
    public let events: AsyncStream<NextHopEvent>
    private let reader: Reader

    /// Subscribes in the calling thread's network namespace and starts reading.
    /// Throws if the socket cannot be opened or joined to the groups (e.g. without CAP_NET_ADMIN
    /// nothing fails here, but in a sandbox without netlink it does).
    public init(bufferSize: Int = 1024, pollInterval: Duration = .milliseconds(200)) throws {
        let groups = [RTNLGRP_NEIGH, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_LINK].map { UInt32($0.rawValue) }
        let socket = try NetlinkSocket(groups: groups, receiveBuffer: 4 << 20)
        let (stream, continuation) = AsyncStream<NextHopEvent>.makeStream(bufferingPolicy: .bufferingNewest(bufferSize))
        events = stream
        reader = Reader(socket: socket, continuation: continuation, pollInterval: pollInterval)
        let reader = reader
        let thread = Thread { reader.run() }
        thread.name = "usher-nexthop-monitor"
        thread.start()
    }

    /// Stops reading, closes the socket and finishes `events`; returns once the reading thread
    /// has ended (within about `pollInterval`). Calling it again does nothing.
    public func stop() {
        reader.stop()
    }

    deinit { reader.stop() }

    /// The reading loop and its stop flag; the thread holds this, not the monitor, so that
    /// dropping the monitor stops it.
    private final class Reader: @unchecked Sendable {
        private var socket: NetlinkSocket?
        private let continuation: AsyncStream<NextHopEvent>.Continuation
        private let pollInterval: Duration
        private let lock = NSLock()
        private var stopping = false
        private let finished = DispatchSemaphore(value: 0)

        init(socket: NetlinkSocket, continuation: AsyncStream<NextHopEvent>.Continuation, pollInterval: Duration) {
            self.socket = socket
            self.continuation = continuation
            self.pollInterval = pollInterval
        }

        private var isStopping: Bool { lock.withLock { stopping } }

        func run() {
            if let socket { read(socket) }
            socket = nil // closes the fd before stop() returns
            continuation.finish()
            finished.signal()
        }

        private func read(_ socket: NetlinkSocket) {
            while !isStopping {
                do {
                    guard let messages = try socket.receive(until: .now + pollInterval, what: "event", subject: "next-hop monitor")
                    else { continue }
                    for message in messages {
                        if let event = Self.event(message) { continuation.yield(event) }
                    }
                } catch {
                    // ENOBUFS (the kernel dropped events), or a malformed datagram: its events are lost, not the monitor.
                    continuation.yield(.eventsLost)
                }
            }
        }

        func stop() {
            let first = lock.withLock {
                defer { stopping = true }
                return !stopping
            }
            if first { finished.wait() }
        }

        /// The event a message reports, or nil for what does not concern next hops.
        static func event(_ message: NetlinkMessage) -> NextHopEvent? {
            switch Int32(message.type) {
            case Int32(RTM_NEWNEIGH), Int32(RTM_DELNEIGH):
                guard let entry = NeighbourRecord(message) else { return nil }
                return .neighbour(address: entry.address, ifindex: entry.ifindex, mac: entry.usableMAC,
                                  state: entry.stateName, removed: message.type == UInt16(RTM_DELNEIGH))
            case Int32(RTM_NEWROUTE), Int32(RTM_DELROUTE):
                guard let route = RouteRecord(message) else { return nil }
                return .route(destination: route.destination, prefixLength: route.prefixLength, ifindex: route.outputIndex,
                              gateway: route.gateway, removed: message.type == UInt16(RTM_DELROUTE))
            case Int32(RTM_NEWLINK), Int32(RTM_DELLINK):
                guard let link = LinkRecord(message) else { return nil }
                return .link(ifindex: link.index, name: link.name, mac: link.mac, removed: message.type == UInt16(RTM_DELLINK))
            default:
                return nil
            }
        }
    }
}
