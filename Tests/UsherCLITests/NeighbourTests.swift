import Foundation
import Testing
import UsherTestSupport

/// Reals without `mac:` get their next hop from the neighbour table of the namespace `usher`
/// runs in. Each command here runs in a fresh namespace (`unshare -n`) with a veth whose peer
/// has no address; whether the real's neighbour is known is set per command.
@Suite("Neighbour-resolved reals", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct NeighbourTests {
    static let link = """
        ip link set lo up
        ip link add ucli0 address 02:00:00:00:01:01 type veth peer name ucli1
        ip addr add 198.51.100.1/24 dev ucli0
        ip link set ucli0 up
        ip link set ucli1 up
        """
    /// The real 198.51.100.13 answered ARP: a permanent neighbour entry.
    static let known = link + "\nip neigh add 198.51.100.13 lladdr 02:00:00:00:00:13 dev ucli0 nud permanent"
    /// The real stopped answering (e.g. it crashed): no entry, ARP goes unanswered.
    static let silent = link

    static let config = """
        services:
          - name: web
            vip: 203.0.113.10
            port: 80
            protocol: tcp
            mode: dsr-l2
            maglev-table-size: 7
            reals:
              - address: 198.51.100.11
                mac: 02:00:00:00:00:11
              - address: 198.51.100.13

        """

    @Test("the next hop comes from the neighbour table: MACs and the egress interface")
    func resolved() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let result = try sandbox.usher(["apply", "-f", try sandbox.write("web.yaml", Self.config)], network: .fresh(setup: Self.known))
        #expect(result.status == 0, "\(result)")
        let dump = try DumpView(try sandbox.ok("maps", "dump", "--json"))
        let real = try #require(try dump.reals.first { $0["address"] as? String == "198.51.100.13" })
        #expect(real["dst_mac"] as? String == "02:00:00:00:00:13", "the neighbour's MAC")
        #expect(real["src_mac"] as? String == "02:00:00:00:01:01", "the egress interface's MAC")
        #expect((real["ifindex"] as? Int ?? 0) != 0, "sent with bpf_redirect to ucli0")
    }

    @Test("a real whose neighbour stopped answering can still be drained, and others changed")
    func drainUnreachableReal() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let applied = try sandbox.usher(["apply", "-f", try sandbox.write("web.yaml", Self.config)], network: .fresh(setup: Self.known))
        try #require(applied.status == 0, "\(applied)")

        // Draining the real that is down is what an operator does first.
        let drain = try sandbox.usher(["real", "drain", "web", "198.51.100.13"], network: .fresh(setup: Self.silent))
        #expect(drain.status == 0, "\(drain)")
        #expect(drain.seconds < 1.5, "no wait for a neighbour whose next hop is already known: \(drain)")
        // So is changing another real while it is down.
        let other = try sandbox.usher(["real", "weight", "web", "198.51.100.11", "2"], network: .fresh(setup: Self.silent))
        #expect(other.status == 0, "\(other)")

        let reals = try JSON.objects(try sandbox.json("real", "list", "--json"))
        #expect(reals.map { $0["weight"] as? Int } == [2, 0], "\(reals)")
        let dump = try DumpView(try sandbox.ok("maps", "dump", "--json"))
        #expect(try dump.shares("203.0.113.10:80/tcp") == ["198.51.100.11": 7], "only the live real gets new flows")
        let down = try dump.reals.first { $0["address"] as? String == "198.51.100.13" }
        #expect(down?["dst_mac"] as? String == "02:00:00:00:00:13", "its tracked flows still reach it while it drains")
    }
}
