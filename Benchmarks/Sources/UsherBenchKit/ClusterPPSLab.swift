import Foundation
import UsherBPF
import UsherCore

/// The lab of the cluster part, in network namespaces named `upps-TAG-*` like lab-pps's (removed
/// by `remove()`, by `deinit`, and by Tools/bench after the part whatever happened):
///
///     gen  TAGg ─── TAGi  router  TAGo1 ─── TAGb1 lb1     (each balancer: one arm, one queue)
///                  (kernel,       TAGo2 ─── TAGb2 lb2
///                   ECMP)         TAGo3 ─── TAGb3 lb3
///                                 TAGx1 ─── TAGr1 real1   (receivers: usher_bench_count)
///                                 TAGx2 ─── TAGr2 real2
///                                 TAGx3 ─── TAGr3 real3
///
/// The generator sends ACKs of many flows to the router's TAGi. The router is the kernel's IPv4
/// forwarding with one multipath route to the VIP, a next hop per active balancer, hashed on the
/// flow's ports (fib_multipath_hash_policy=1): the route BIRD installs in the cluster of
/// DEPLOYMENT.md (`merge paths on`), written here with `ip route` so that the part measures
/// forwarding, not BGP. Each balancer runs usher_balance (dsr-l2 to the reals by MAC) and sends
/// its frames back out of its one port; on the router's end of that link, `usher_bench_switch`
/// hands each frame to the real of its destination MAC, as the segment of a real cluster would.
/// Every receive queue is processed by its own kernel thread (threaded NAPI), so that each
/// balancer's whole job runs in one thread that can be pinned.
public final class ClusterPPSLab {
    public let tag: String
    public var gen: String { "upps-\(tag)-gen" }
    public var router: String { "upps-\(tag)-router" }
    public func balancer(_ i: Int) -> String { "upps-\(tag)-lb\(i)" }
    public func real(_ i: Int) -> String { "upps-\(tag)-real\(i)" }
    public var genPort: String { "\(tag)g" }
    public var routerInPort: String { "\(tag)i" }
    public func routerPort(toBalancer i: Int) -> String { "\(tag)o\(i)" }
    public func balancerPort(_ i: Int) -> String { "\(tag)b\(i)" }
    public func routerPort(toReal i: Int) -> String { "\(tag)x\(i)" }
    public func realPort(_ i: Int) -> String { "\(tag)r\(i)" }
    public let balancers = [1, 2, 3]
    public let reals = [1, 2, 3]

    public static let genMAC = MACAddress("02:00:00:06:00:10")!
    public static let routerInMAC = MACAddress("02:00:00:06:00:01")!
    public static func balancerMAC(_ i: Int) -> MACAddress { MACAddress("02:00:00:06:00:0\(i + 1)")! }
    public static func realMAC(_ i: Int) -> MACAddress { MACAddress("02:00:00:06:00:1\(i)")! }
    public static let client = IPAddress("192.0.2.10")!
    public static let routerIn = IPAddress("192.0.2.1")!
    /// The link to balancer i is 198.51.100.(4i)/30: the router .4i+1, the balancer .4i+2.
    public static func routerAddress(toBalancer i: Int) -> IPAddress { IPAddress("198.51.100.\(4 * i + 1)")! }
    public static func balancerAddress(_ i: Int) -> IPAddress { IPAddress("198.51.100.\(4 * i + 2)")! }
    public static func realAddress(_ i: Int) -> IPAddress { IPAddress("198.51.100.\(100 + i)")! }
    public static let vip = IPAddress("203.0.113.10")!
    public static let port: UInt16 = 80

    /// The receivers (one per real, in its namespace) and the switches on the router's balancer ports.
    public private(set) var counters: [BenchAttachment] = []
    private var switches: [BenchAttachment] = []

    /// Builds the lab; on failure removes what it made and throws.
    public init(tag: String) throws {
        guard tag.range(of: "^[a-z][a-z0-9]{1,5}$", options: .regularExpression) != nil else {
            throw LabShell.Failure(description: "lab tag '\(tag)' is invalid: 2-6 lower-case letters or digits, starting with a letter")
        }
        self.tag = tag
        do { try build() } catch { remove(); throw error }
    }

    deinit { remove() }

    private var namespaces: [String] { [gen, router] + balancers.map(balancer) + reals.map(real) }

    /// Deletes the lab's namespaces (their veths and XDP programs go with them). Idempotent.
    public func remove() {
        for name in namespaces where FileManager.default.fileExists(atPath: "/run/netns/\(name)") {
            _ = try? LabShell.run(["ip", "netns", "del", name], timeout: 10)
        }
    }

    /// Runs `arguments` inside namespace `ns` (network namespace only: bpffs stays visible).
    @discardableResult
    public func exec(_ ns: String, _ arguments: [String]) throws -> String {
        try LabShell.exec(in: ns, arguments)
    }

    /// Points the router's route to the VIP at the first `count` balancers (one next hop each).
    public func route(toBalancers count: Int) throws {
        var arguments = ["ip", "-n", router, "route", "replace", "\(Self.vip)/32"]
        for i in balancers.prefix(count) {
            arguments += ["nexthop", "via", "\(Self.balancerAddress(i))", "dev", routerPort(toBalancer: i)]
        }
        try LabShell.run(arguments)
    }

    /// The ports whose receive threads do the traffic's work outside the balancers: the router's
    /// forwarding (TAGi), the switches (TAGo*) and the receivers (TAGr*).
    public var sourcePorts: [String] { [routerInPort] + balancers.map { routerPort(toBalancer: $0) } + reals.map(realPort) }

    // MARK: Building

    private func build() throws {
        for ns in namespaces {
            try LabShell.addNamespace(ns)
        }
        try LabShell.veth(gen, genPort, Self.genMAC, router, routerInPort, Self.routerInMAC)
        try LabShell.run(["ip", "-n", gen, "addr", "add", "\(Self.client)/24", "dev", genPort])
        try LabShell.run(["ip", "-n", router, "addr", "add", "\(Self.routerIn)/24", "dev", routerInPort])
        // The router: forwarding on, flows hashed by their ports over the next hops, GRO on its
        // way in so that its veth receives the generator's XDP frames without an XDP program.
        try exec(router, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv4.fib_multipath_hash_policy=1"])
        try exec(router, ["ethtool", "-K", routerInPort, "gro", "on"])
        for i in balancers {
            try LabShell.veth(router, routerPort(toBalancer: i), MACAddress("02:00:00:06:01:0\(i)")!,
                     balancer(i), balancerPort(i), Self.balancerMAC(i))
            try LabShell.run(["ip", "-n", router, "addr", "add", "\(Self.routerAddress(toBalancer: i))/30",
                              "dev", routerPort(toBalancer: i)])
            try LabShell.run(["ip", "-n", router, "neigh", "replace", "\(Self.balancerAddress(i))", "lladdr",
                              "\(Self.balancerMAC(i))", "dev", routerPort(toBalancer: i), "nud", "permanent"])
            try LabShell.run(["ip", "-n", balancer(i), "addr", "add", "\(Self.balancerAddress(i))/30", "dev", balancerPort(i)])
            // GRO on keeps the port's NAPI (threaded below) before usher_balance is attached.
            try exec(balancer(i), ["ethtool", "-K", balancerPort(i), "gro", "on"])
        }
        for i in reals {
            try LabShell.veth(router, routerPort(toReal: i), MACAddress("02:00:00:06:02:0\(i)")!, real(i), realPort(i), Self.realMAC(i))
            try LabShell.run(["ip", "-n", real(i), "addr", "add", "\(Self.realAddress(i))/24", "dev", realPort(i)])
            counters.append(try LabShell.inNamespace(real(i)) { try BenchAttachment(.counter, interface: realPort(i)) })
        }
        // What a balancer sends back reaches the router's end of its link: the switch there
        // passes it on to the real of its destination MAC.
        switches = try balancers.map { i in
            try LabShell.inNamespace(router) {
                let wire = try BenchAttachment(.wire, interface: routerPort(toBalancer: i))
                for r in reals { try wire.connect(Self.realMAC(r), toPort: if_nametoindex(routerPort(toReal: r))) }
                return wire
            }
        }
        var threaded = [(router, routerInPort)] + balancers.map { (balancer($0), balancerPort($0)) }
        threaded += balancers.map { (router, routerPort(toBalancer: $0)) } + reals.map { (real($0), realPort($0)) }
        for (ns, port) in threaded {
            try LabShell.threadedNAPI(ns, port)
        }
    }
}
