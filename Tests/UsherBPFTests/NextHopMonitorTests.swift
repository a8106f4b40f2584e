import Foundation
import Testing
@testable import UsherBPF
import UsherCore
import UsherTestSupport

/// NextHopMonitor in the balancer namespace of NeighborResolverTests' lab: the changes a
/// real's next hop follows arrive as events, promptly, and stop() ends the stream.
@Suite("Next-hop monitor", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct NextHopMonitorTests {
    /// The first event of `stream` that `matches`, or nil if none came within `bound`.
    static func first(_ stream: AsyncStream<NextHopEvent>, within bound: Duration,
                      where matches: @escaping @Sendable (NextHopEvent) -> Bool) async -> NextHopEvent? {
        await withTaskGroup(of: NextHopEvent?.self) { group in
            group.addTask {
                for await event in stream where matches(event) { return event }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: bound)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    @Test("a neighbour's new MAC, a new route and a removed neighbour are each seen within 2 s")
    func seesChanges() async throws {
        let lab = try NeighborResolverTests.lab()
        defer { lab.balancer.remove(); lab.real.remove() }
        let monitor = try lab.balancer.run { try NextHopMonitor() }
        defer { monitor.stop() }
        let real = ip("198.51.100.2")
        // The real is resolved as apply would, then its MAC changes (as after a replaced NIC).
        _ = try lab.balancer.run { try SystemNeighborResolver().nextHop(for: real) }
        try lab.balancer.ip("neigh", "replace", "198.51.100.2", "lladdr", "02:00:00:00:77:01", "dev", lab.near)
        let moved = await Self.first(monitor.events, within: .seconds(2)) {
            if case let .neighbour(address, _, mac, _, false) = $0 { return address == real && mac == MACAddress("02:00:00:00:77:01") }
            return false
        }
        let ifindex = try lab.balancer.run { if_nametoindex(lab.near) }
        guard case let .neighbour(_, index, _, state, _)? = moved else {
            Issue.record("no event for the neighbour's new MAC within 2 s")
            return
        }
        #expect(index == ifindex && state == "PERMANENT")

        try lab.balancer.ip("route", "add", "192.0.2.0/24", "via", "198.51.100.2")
        let route = await Self.first(monitor.events, within: .seconds(2)) {
            if case let .route(destination, 24, _, gateway, false) = $0 { return destination == ip("192.0.2.0") && gateway == real }
            return false
        }
        #expect(route != nil, "no event for the new route within 2 s")

        try lab.balancer.ip("neigh", "del", "198.51.100.2", "dev", lab.near)
        let removed = await Self.first(monitor.events, within: .seconds(2)) {
            if case let .neighbour(address, _, _, _, true) = $0 { return address == real }
            return false
        }
        #expect(removed != nil, "no event for the removed neighbour within 2 s")
    }

    @Test("the real itself changing its MAC (announced by gratuitous ARP) is seen within 2 s")
    func realChangesMAC() async throws {
        let lab = try NeighborResolverTests.lab()
        defer { lab.balancer.remove(); lab.real.remove() }
        let real = ip("198.51.100.2")
        _ = try lab.balancer.run { try SystemNeighborResolver().nextHop(for: real) }
        let monitor = try lab.balancer.run { try NextHopMonitor() }
        defer { monitor.stop() }
        try Shell.run("ip", "netns", "exec", lab.real.name, "sysctl", "-q", "-w", "net.ipv4.conf.\(lab.far).arp_notify=1")
        try lab.real.ip("link", "set", lab.far, "address", "02:00:00:00:88:02")
        let seen = await Self.first(monitor.events, within: .seconds(2)) {
            if case let .neighbour(address, _, mac, _, false) = $0 { return address == real && mac == MACAddress("02:00:00:00:88:02") }
            return false
        }
        #expect(seen != nil, "the balancer's neighbour entry did not follow the real's new MAC within 2 s")
        let hop = try lab.balancer.run { SystemNeighborResolver().currentNextHop(for: real) }
        #expect(hop?.mac == MACAddress("02:00:00:00:88:02"))
    }

    @Test("stop() ends the event stream promptly, and the monitor can be dropped without it")
    func stops() async throws {
        let lab = try NeighborResolverTests.lab()
        defer { lab.balancer.remove(); lab.real.remove() }
        let monitor = try lab.balancer.run { try NextHopMonitor() }
        let started = ContinuousClock.now
        monitor.stop()
        #expect(ContinuousClock.now - started < .seconds(1))
        let events = monitor.events
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in events {}
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(1))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(finished, "the event stream ends after stop()")
        monitor.stop()
        _ = try lab.balancer.run { try NextHopMonitor() } // dropped at once: deinit stops its thread
    }
}
