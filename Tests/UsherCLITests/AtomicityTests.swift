import Foundation
import Testing
import UsherTestSupport

/// A change that fails — invalid, unresolvable, conflicting — leaves the maps and the kept
/// configuration exactly as they were (the atomicity requirement), checked on what
/// `usher maps dump --json`, `service list --json` and `real list --json` print.
@Suite("Atomicity", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct AtomicityTests {
    @Test("invalid, unresolvable and conflicting changes leave everything as it was")
    func failedChangesChangeNothing() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        let before = try sandbox.snapshot()
        #expect(before.dump.contains("\"198.51.100.21\""), "the applied config is in the maps: \(before)")

        // (a) An invalid config file.
        let invalid = try sandbox.write("invalid.yaml", Configs.everythingChanged(lastReal: """
                  - address: 198.51.100.13
                    weight: 1001
                    mac: 02:00:00:00:00:13

            """))
        let a = try sandbox.usher("apply", "-f", invalid)
        #expect(a.status == 65, "\(a)")
        #expect(a.stderrLines.first?.hasPrefix("\(invalid):17:") == true, "\(a)")
        #expect(try sandbox.snapshot() == before, "after an invalid config")

        // (b) A valid config that changes everything, whose last real has no `mac:` and no
        // route in an empty network namespace: resolution fails after the other changes were planned.
        let unroutable = try sandbox.write("unroutable.yaml", Configs.everythingChanged(lastReal: """
                  - address: 198.51.100.13

            """))
        let b = try sandbox.usher("apply", "-f", unroutable, network: .empty)
        #expect(b.status == 1, "\(b)")
        #expect(b.stdout == "", "nothing is announced as applied: \(b)")
        let bError = b.stderrLines.last ?? ""
        #expect(bError.hasPrefix("usher: ") && bError.contains("198.51.100.13"), "names the real: \(b)")
        #expect(try sandbox.snapshot() == before, "after a real whose next hop cannot be found")

        // (c) Imperative changes that conflict with what exists.
        let dupName = try sandbox.usher("service", "add", "web", "--vip", "203.0.113.99", "--port", "80", "--mode", "dsr-l2")
        #expect(dupName.status == 1, "\(dupName)")
        #expect(dupName.stderr == "usher: service web exists already; remove it first or pick another name\n")
        let dupKey = try sandbox.usher("service", "add", "web2", "--vip", "203.0.113.10", "--port", "80", "--mode", "dsr-l2")
        #expect(dupKey.status != 0, "\(dupKey)")
        #expect(dupKey.stderr.contains("203.0.113.10:80/tcp"), "\(dupKey)")
        #expect(try sandbox.snapshot() == before, "after conflicting service adds")

        // The same change with the MAC given goes through: the comparison above can tell.
        let good = try sandbox.write("good.yaml", Configs.everythingChanged())
        let applied = try sandbox.usher("apply", "-f", good)
        #expect(applied.status == 0, "\(applied)")
        let after = try sandbox.snapshot()
        #expect(after.dump != before.dump && after.services != before.services)
        #expect(after.dump.contains("\"198.51.100.13\"") && !after.dump.contains("\"198.51.100.21\""))
    }

    @Test("a neighbour that never answers fails the apply after the timeout, changing nothing")
    func silentNeighbour() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        let before = try sandbox.snapshot()

        // A fresh namespace with a route to 198.51.100.0/24 over a veth whose peer has no
        // address: ARP for the real goes unanswered. The namespace dies with the command.
        let setup = """
            ip link set lo up
            ip link add ucli0 type veth peer name ucli1
            ip addr add 198.51.100.1/24 dev ucli0
            ip link set ucli0 up
            ip link set ucli1 up
            """
        let file = try sandbox.write("silent.yaml", Configs.everythingChanged(lastReal: """
                  - address: 198.51.100.13

            """))
        let result = try sandbox.usher("apply", "-f", file, network: .fresh(setup: setup))
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout == "", "\(result)")
        let message = result.stderrLines.last ?? ""
        #expect(message.hasPrefix("usher: "), "\(result)")
        #expect(message.contains("198.51.100.13") && message.contains("ucli0"), "names the real and the interface: \(result)")
        #expect(message.contains("mac:"), "says a `mac:` avoids the lookup: \(result)")
        #expect(try sandbox.snapshot() == before)
    }
}
