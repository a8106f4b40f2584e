import Foundation
import Testing
import UsherCore
import UsherTestSupport

/// `usher snat-pool add|list|remove`, and nat/gateway services and reals built with the
/// imperative commands: what they print, what they refuse (and with which exit status), and
/// what lands in the kept configuration.
@Suite("SNAT pools and NAT services from the command line", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct SNATPoolCommandTests {
    @Test("snat-pool add, service add --mode nat, real add --port, list, remove refused while used")
    func poolLifecycle() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        #expect(try sandbox.ok("snat-pool", "list") == "No SNAT pools.\n")
        #expect(try sandbox.ok("snat-pool", "add", "lb-snat", "--address", "198.51.100.3", "--address", "198.51.100.4",
                               "--ports", "20000-29999")
                == "Added SNAT pool lb-snat: 198.51.100.3, 198.51.100.4, ports 20000-29999.\n")
        #expect(try sandbox.ok("service", "add", "app", "--vip", "203.0.113.20", "--port", "80", "--mode", "nat",
                               "--snat-pool", "lb-snat", "--table-size", "251")
                == "Added service app 203.0.113.20:80/tcp nat with SNAT pool lb-snat.\n")
        #expect(try sandbox.ok("real", "add", "app", "198.51.100.11", "--port", "8080", "--mac", "02:00:00:00:00:11")
                == "Added real 198.51.100.11:8080 to app with weight 1.\n")
        #expect(try sandbox.ok("real", "add", "app", "198.51.100.12", "--mac", "02:00:00:00:00:12")
                == "Added real 198.51.100.12 to app with weight 1.\n")

        #expect(try JSON.same(try sandbox.ok("snat-pool", "list", "--json"), as: """
            [{"name":"lb-snat","addresses":[{"address":"198.51.100.3","ports_in_use":0},{"address":"198.51.100.4","ports_in_use":0}],
              "ports":"20000-29999","port_min":20000,"port_max":29999,"services":["app"]}]
            """))
        #expect(try sandbox.ok("snat-pool", "list") == """
            NAME     ADDRESS       PORTS        SERVICES  IN USE
            lb-snat  198.51.100.3  20000-29999  app            0
                     198.51.100.4                              0

            """)
        let services = try JSON.objects(try sandbox.json("service", "list", "--json"))
        #expect(services.first?["snat_pool"] as? String == "lb-snat")
        #expect(try sandbox.ok("real", "list") == """
            SERVICE  REAL           PORT  WEIGHT  STATE   MAC
            app      198.51.100.11  8080       1  active  02:00:00:00:00:11
            app      198.51.100.12     -       1  active  02:00:00:00:00:12

            """)
        let reals = try JSON.objects(try sandbox.json("real", "list", "--json"))
        #expect(reals.map { $0["port"] as? Int } == [8080, nil])

        // The data plane holds the service as nat.
        let dump = try DumpView(try sandbox.ok("maps", "dump", "--json"))
        #expect(try dump.vip("203.0.113.20:80/tcp")?["mode"] as? String == "nat")

        // Removal is refused while a service uses the pool, and names it.
        let used = try sandbox.usher("snat-pool", "remove", "lb-snat")
        #expect(used.status == 1, "\(used)")
        #expect(used.stderr == "usher: SNAT pool lb-snat is used by service app; remove it first, or apply a config that gives it another pool\n")
        let unknown = try sandbox.usher("snat-pool", "remove", "lb-nsat")
        #expect(unknown.status == 1, "\(unknown)")
        #expect(unknown.stderr == "usher: no SNAT pool named lb-nsat; known pools: lb-snat\n")

        try sandbox.ok("service", "remove", "app")
        #expect(try sandbox.ok("snat-pool", "remove", "lb-snat") == "Removed SNAT pool lb-snat.\n")
        #expect(try JSON.array(try sandbox.json("snat-pool", "list", "--json")).isEmpty)
    }

    @Test("a gateway service: no pool, reals with their own port")
    func gatewayService() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        #expect(try sandbox.ok("service", "add", "gw", "--vip", "203.0.113.13", "--port", "80", "--mode", "gateway",
                               "--table-size", "251")
                == "Added service gw 203.0.113.13:80/tcp gateway.\n")
        #expect(try sandbox.ok("real", "add", "gw", "198.51.100.11", "--port", "8080", "--mac", "02:00:00:00:00:11", "--weight", "2")
                == "Added real 198.51.100.11:8080 to gw with weight 2.\n")
        let services = try JSON.objects(try sandbox.json("service", "list", "--json"))
        #expect(services.map { $0["mode"] as? String } == ["gateway"])
        #expect(services.first?["snat_pool"] == nil, "no pool: the key is left out")
        #expect(try JSON.objects(try sandbox.json("real", "list", "--json")).map { $0["port"] as? Int } == [8080])
        let dump = try DumpView(try sandbox.ok("maps", "dump", "--json"))
        #expect(try dump.vip("203.0.113.13:80/tcp")?["mode"] as? String == "gateway")
    }

    @Test("conflicts with what exists: exit 1, said in the terms of the command, nothing changed")
    func conflicts() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        try sandbox.ok("snat-pool", "add", "lb-snat", "--address", "198.51.100.3")
        try sandbox.ok("snat-pool", "add", "lb6", "--address", "2001:db8:2::3")
        try sandbox.ok("service", "add", "gw", "--vip", "203.0.113.13", "--port", "*", "--mode", "gateway", "--table-size", "251")
        let before = try sandbox.snapshot()
        let cases: [([String], String)] = [
            (["snat-pool", "add", "lb-snat", "--address", "198.51.100.5"],
             "usher: SNAT pool lb-snat exists already; remove it first or pick another name\n"),
            (["snat-pool", "add", "other", "--address", "198.51.100.3"],
             "usher: 198.51.100.3 is already in SNAT pool lb-snat; an address belongs to one pool\n"),
            (["snat-pool", "add", "other", "--address", "203.0.113.10"],
             "usher: 203.0.113.10 is the VIP of service web; an SNAT address must be another address of this balancer\n"),
            (["snat-pool", "add", "other", "--address", "198.51.100.21"],
             "usher: 198.51.100.21 is a real server of service dns; an SNAT address must be this balancer's\n"),
            (["service", "add", "app", "--vip", "203.0.113.20", "--port", "80", "--mode", "nat", "--snat-pool", "nope"],
             "usher: no SNAT pool named nope; known pools: lb-snat, lb6\n"),
            (["service", "add", "app", "--vip", "203.0.113.20", "--port", "80", "--mode", "nat", "--snat-pool", "lb6"],
             "usher: SNAT pool lb6 holds IPv6 addresses and 203.0.113.20 is IPv4; a nat service needs a pool of its VIP's family\n"),
            (["real", "add", "web", "198.51.100.13", "--port", "8080", "--mac", "02:00:00:00:00:13"],
             "usher: --port 8080: web is a dsr-l2 service, whose reals answer from the VIP's port (80); only nat and gateway services translate ports\n"),
            (["real", "add", "gw", "198.51.100.13", "--port", "8080", "--mac", "02:00:00:00:00:13"],
             "usher: --port 8080: gw serves every port, and each client keeps its destination port; leave --port out, or use a service of one port\n"),
            (["real", "add", "gw", "2001:db8::13", "--mac", "02:00:00:00:00:13"],
             "usher: 2001:db8::13 is IPv6 and gw's VIP 203.0.113.13 is IPv4; a gateway service translates within one family\n"),
        ]
        for (arguments, message) in cases {
            let result = try sandbox.usher(arguments)
            #expect(result.status == 1, "\(result)")
            #expect(result.stdout == "", "\(result)")
            #expect(result.stderr == message, "\(result)")
        }
        #expect(try sandbox.snapshot() == before)
    }
}
