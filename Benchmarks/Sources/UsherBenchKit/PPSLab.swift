import Foundation
import UsherBPF
import UsherCore

/// The lab of part 3, in network namespaces named `upps-TAG-*` (removed by `remove()`, by
/// `deinit`, and by Tools/bench after the part whatever happened):
///
///     gen   TAGg ───────────── TAGb  lb      (balancer: one arm, one receive queue)
///           TAGx1 ─── TAGr1 real1            (receivers: usher_bench_count)
///           TAGx2 ─── TAGr2 real2
///           TAGx3 ─── TAGr3 real3
///
/// The generator sends out of TAGg (XDP live frames); whatever the balancer sends back out of
/// TAGb reaches TAGg, whose XDP program (`usher_bench_switch`) passes each frame on to the
/// receiver of its destination MAC. Every veth end that receives XDP frames has an XDP program
/// or GRO on (the veth trap), transmit checksum offload is off everywhere, and every receive
/// queue is processed by its own kernel thread (threaded NAPI) so that each can be pinned:
/// the balancer's TAGb on one CPU, everything else on the others.
public final class PPSLab {
    public let tag: String
    public var gen: String { "upps-\(tag)-gen" }
    public var lb: String { "upps-\(tag)-lb" }
    public func real(_ i: Int) -> String { "upps-\(tag)-real\(i)" }
    public var genPort: String { "\(tag)g" }
    public var lbPort: String { "\(tag)b" }
    public func wirePort(_ i: Int) -> String { "\(tag)x\(i)" }
    public func realPort(_ i: Int) -> String { "\(tag)r\(i)" }
    public let reals = [1, 2, 3]

    public static let genMAC = MACAddress("02:00:00:05:00:10")!
    public static let lbMAC = MACAddress("02:00:00:05:00:02")!
    public static func realMAC(_ i: Int) -> MACAddress { MACAddress("02:00:00:05:00:1\(i)")! }
    public static let client = IPAddress("192.0.2.10")!
    public static let lbAddress = IPAddress("198.51.100.2")!
    public static func realAddress(_ i: Int) -> IPAddress { IPAddress("198.51.100.1\(i)")! }
    public static let vip = IPAddress("203.0.113.10")!
    public static let port: UInt16 = 80

    /// The receivers (one per real, in its namespace) and the wire (on TAGg).
    public private(set) var counters: [BenchAttachment] = []
    public private(set) var wire: BenchAttachment?
    private var namespaces: [String] = []

    /// A tag of 4 characters (a letter, then letters or digits) unique to this run.
    public static func newTag() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz"), chars = letters + Array("0123456789")
        return String(letters.randomElement()!) + String((0..<3).map { _ in chars.randomElement()! })
    }

    /// Builds the lab; on failure removes what it made and throws.
    public init(tag: String = PPSLab.newTag()) throws {
        guard tag.range(of: "^[a-z][a-z0-9]{1,5}$", options: .regularExpression) != nil else {
            throw LabShell.Failure(description: "lab tag '\(tag)' is invalid: 2-6 lower-case letters or digits, starting with a letter")
        }
        self.tag = tag
        do { try build() } catch { remove(); throw error }
    }

    deinit { remove() }

    /// Deletes the lab's namespaces (their veths and XDP programs go with them). Idempotent.
    public func remove() {
        for name in [gen, lb] + reals.map(real) where FileManager.default.fileExists(atPath: "/run/netns/\(name)") {
            _ = try? LabShell.run(["ip", "netns", "del", name], timeout: 10)
        }
        namespaces = []
    }

    /// Runs `arguments` inside namespace `ns` (network namespace only: bpffs stays visible).
    @discardableResult
    public func exec(_ ns: String, _ arguments: [String], input: String? = nil) throws -> String {
        try LabShell.exec(in: ns, arguments, input: input)
    }

    /// The NAPI thread of each interface: the balancer's (TAGb) and all the others.
    public func napiThreads() -> (balancer: Int32?, others: [(port: String, pid: Int32?)]) {
        let others = ([genPort] + reals.map(realPort)).map { ($0, LabCPU.napiThread(of: $0)) }
        return (LabCPU.napiThread(of: lbPort), others)
    }

    // MARK: Building

    private func build() throws {
        for ns in [gen, lb] + reals.map(real) {
            try LabShell.addNamespace(ns)
            namespaces.append(ns)
        }
        try LabShell.veth(gen, genPort, Self.genMAC, lb, lbPort, Self.lbMAC)
        for i in reals {
            try LabShell.veth(gen, wirePort(i), MACAddress("02:00:00:05:01:1\(i)")!, real(i), realPort(i), Self.realMAC(i))
            try LabShell.run(["ip", "-n", real(i), "addr", "add", "\(Self.realAddress(i))/24", "dev", realPort(i)])
        }
        try LabShell.run(["ip", "-n", gen, "addr", "add", "\(Self.client)/24", "dev", genPort])
        // The balancer: an address on the servers' segment, the reals' MACs known (no ARP over
        // the wire), forwarding on without ICMP redirects (one arm: in and out by the same port).
        try LabShell.run(["ip", "-n", lb, "addr", "add", "\(Self.lbAddress)/24", "dev", lbPort])
        for i in reals {
            try LabShell.run(["ip", "-n", lb, "neigh", "replace", "\(Self.realAddress(i))", "lladdr", "\(Self.realMAC(i))",
                              "dev", lbPort, "nud", "permanent"])
        }
        try exec(lb, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.send_redirects=0",
                      "net.ipv4.conf.\(lbPort).send_redirects=0"])
        // GRO on the balancer's port keeps its NAPI (and so its receive of XDP frames) when no
        // XDP program is attached: the nftables run has none.
        try exec(lb, ["ethtool", "-K", lbPort, "gro", "on"])

        // Receivers and the wire.
        for i in reals {
            counters.append(try LabShell.inNamespace(real(i)) { try BenchAttachment(.counter, interface: realPort(i)) })
        }
        wire = try LabShell.inNamespace(gen) {
            let wire = try BenchAttachment(.wire, interface: genPort)
            for i in reals {
                let port = if_nametoindex(wirePort(i))
                try wire.connect(Self.realMAC(i), toPort: port)
                if i == 1 { try wire.connect(Self.genMAC, toPort: port) } // what the floor reflects
            }
            return wire
        }
        for (ns, port) in [(lb, lbPort), (gen, genPort)] + reals.map({ (real($0), realPort($0)) }) {
            try LabShell.threadedNAPI(ns, port)
        }
    }
}
