import Foundation
import Testing
import UsherCore
import UsherTestSupport

/// The imperative commands, one after the other as an operator would type them, checking
/// what they print, what `list --json` reports and what the maps hold after each step.
@Suite("Imperative flow", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct ImperativeFlowTests {
    static let web = "203.0.113.10:80/tcp"

    @Test("service add, real add ×3, drain, weight, real remove, service remove")
    func addDrainWeighRemove() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        #expect(try sandbox.ok("service", "add", "web", "--vip", "203.0.113.10", "--port", "80", "--proto", "tcp",
                               "--mode", "dsr-l2", "--table-size", "251")
                == "Added service web 203.0.113.10:80/tcp dsr-l2.\n")
        var dump = try DumpView(try sandbox.ok("maps", "dump", "--json"))
        #expect(try dump.vip(Self.web) != nil, "the VIP is in the map before it has reals")

        var reals: [(String, UInt32, String)] = []
        for n in 11...13 {
            let address = "198.51.100.\(n)", mac = "02:00:00:00:00:\(n)"
            #expect(try sandbox.ok("real", "add", "web", address, "--mac", mac) == "Added real \(address) to web with weight 1.\n")
            reals.append((address, 1, mac))
        }

        #expect(try JSON.same(try sandbox.ok("real", "list", "--json"), as: """
            [{"service":"web","address":"198.51.100.11","weight":1,"state":"active","mac":"02:00:00:00:00:11"},
             {"service":"web","address":"198.51.100.12","weight":1,"state":"active","mac":"02:00:00:00:00:12"},
             {"service":"web","address":"198.51.100.13","weight":1,"state":"active","mac":"02:00:00:00:00:13"}]
            """))
        #expect(try JSON.same(try sandbox.ok("service", "list", "--json"), as: """
            [{"name":"web","service":"203.0.113.10:80/tcp","vip":"203.0.113.10","port":80,"proto":"tcp",
              "mode":"dsr-l2","hash":"5-tuple","maglev_table_size":251,"reals":[
               {"service":"web","address":"198.51.100.11","weight":1,"state":"active","mac":"02:00:00:00:00:11"},
               {"service":"web","address":"198.51.100.12","weight":1,"state":"active","mac":"02:00:00:00:00:12"},
               {"service":"web","address":"198.51.100.13","weight":1,"state":"active","mac":"02:00:00:00:00:13"}]}]
            """))
        dump = try DumpView(try sandbox.ok("maps", "dump", "--json"))
        #expect(try dump.shares(Self.web) == Expected.shares(Expected.service("web", vip: "203.0.113.10", port: 80, tableSize: 251, reals: reals)))
        #expect(try dump.realAddresses == ["198.51.100.11", "198.51.100.12", "198.51.100.13"])

        // Drain: no Maglev slot any more, but still a present real (its flows continue).
        #expect(try sandbox.ok("real", "drain", "web", "198.51.100.12") == "Draining real 198.51.100.12 of web: no new flows.\n")
        reals[1].1 = 0
        let drained = try JSON.objects(try sandbox.json("real", "list", "web", "--json"))
        #expect(drained.map { $0["state"] as? String } == ["active", "draining", "active"])
        #expect(drained.map { $0["weight"] as? Int } == [1, 0, 1])
        dump = try DumpView(try sandbox.ok("maps", "dump", "--json"))
        let drainedShares = try dump.shares(Self.web)
        #expect(drainedShares["198.51.100.12"] == nil, "a draining real owns no slot: \(drainedShares)")
        #expect(drainedShares == Expected.shares(Expected.service("web", vip: "203.0.113.10", port: 80, tableSize: 251, reals: reals)))
        #expect(try dump.realAddresses.contains("198.51.100.12"), "a draining real stays in usher_reals_v3")

        // Weight 2: back in rotation with twice the share of the others.
        #expect(try sandbox.ok("real", "weight", "web", "198.51.100.12", "2") == "Real 198.51.100.12 of web now has weight 2.\n")
        reals[1].1 = 2
        dump = try DumpView(try sandbox.ok("maps", "dump", "--json"))
        let weighed = try dump.shares(Self.web)
        #expect(weighed == Expected.shares(Expected.service("web", vip: "203.0.113.10", port: 80, tableSize: 251, reals: reals)))
        #expect((weighed["198.51.100.12"] ?? 0) > (weighed["198.51.100.11"] ?? 0) + 50, "weight 2 gets about half: \(weighed)")

        // Remove: gone from the reals map, its slots shared by the others.
        #expect(try sandbox.ok("real", "remove", "web", "198.51.100.11") == "Removed real 198.51.100.11 from web.\n")
        reals.remove(at: 0)
        dump = try DumpView(try sandbox.ok("maps", "dump", "--json"))
        #expect(try dump.realAddresses == ["198.51.100.12", "198.51.100.13"])
        let rebalanced = try dump.shares(Self.web)
        #expect(rebalanced.values.reduce(0, +) == 251, "every slot has an owner: \(rebalanced)")
        #expect(rebalanced == Expected.shares(Expected.service("web", vip: "203.0.113.10", port: 80, tableSize: 251, reals: reals)))

        #expect(try sandbox.ok("service", "remove", "web") == "Removed service web.\n")
        dump = try DumpView(try sandbox.ok("maps", "dump", "--json"))
        #expect(try dump.vips.isEmpty, "the VIP is gone")
        #expect(try dump.realAddresses.isEmpty, "reals of no service leave usher_reals_v3")
        #expect(try JSON.array(try sandbox.json("service", "list", "--json")).isEmpty)
        #expect(try sandbox.ok("service", "list") == "No services.\n")
        #expect(try sandbox.ok("real", "list") == "No real servers.\n")
    }

    @Test("service list and real list tables for people")
    func tables() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        try sandbox.ok("real", "drain", "web", "198.51.100.12")
        #expect(try sandbox.ok("service", "list") == """
            NAME  SERVICE              MODE      HASH     TABLE  REALS  ACTIVE
            web   203.0.113.10:80/tcp  dsr-l2    5-tuple    251      2       1
            dns   203.0.113.53:53/udp  dsr-ipip  5-tuple     13      1       1

            """)
        #expect(try sandbox.ok("real", "list") == """
            SERVICE  REAL           WEIGHT  STATE     MAC
            web      198.51.100.11       1  active    02:00:00:00:00:11
            web      198.51.100.12       0  draining  02:00:00:00:00:12
            dns      198.51.100.21       1  active    02:00:00:00:00:21

            """)
    }
}
