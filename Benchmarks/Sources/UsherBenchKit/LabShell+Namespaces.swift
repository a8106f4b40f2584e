import Foundation
import UsherCore

/// The pieces the labs of parts 3 and 5 (PPSLab, ClusterPPSLab) are built of.
extension LabShell {
    /// Runs `arguments` inside namespace `ns` (network namespace only: bpffs stays visible).
    @discardableResult
    static func exec(in ns: String, _ arguments: [String], input: String? = nil) throws -> String {
        try run(["nsenter", "--net=/run/netns/\(ns)", "--"] + arguments, input: input)
    }

    /// Makes namespace `ns` with its loopback up, no reverse-path filter and no IPv6.
    static func addNamespace(_ ns: String) throws {
        try run(["ip", "netns", "add", ns])
        try run(["ip", "-n", ns, "link", "set", "lo", "up"])
        try exec(in: ns, ["sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
                          "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
    }

    /// A veth pair from `nsA` to `nsB`, made inside them, checksum offload off, both ends up.
    static func veth(_ nsA: String, _ a: String, _ macA: MACAddress, _ nsB: String, _ b: String, _ macB: MACAddress) throws {
        try run(["ip", "-n", nsA, "link", "add", a, "address", "\(macA)", "type", "veth",
                 "peer", "name", b, "address", "\(macB)", "netns", nsB])
        try exec(in: nsA, ["ethtool", "-K", a, "tx", "off"])
        try exec(in: nsB, ["ethtool", "-K", b, "tx", "off"])
        try run(["ip", "-n", nsA, "link", "set", a, "up"])
        try run(["ip", "-n", nsB, "link", "set", b, "up"])
    }

    /// Has the receive queue of `port` (in `ns`) processed by its own kernel thread (threaded NAPI).
    static func threadedNAPI(_ ns: String, _ port: String) throws {
        try run(["ip", "netns", "exec", ns, "sh", "-c", "echo 1 > /sys/class/net/\(port)/threaded"])
    }

    /// Pins the receive thread of `port` (threaded NAPI) to `cpus` with real-time priority
    /// `priority` (SCHED_FIFO: it runs whenever it has frames), or under the fair scheduler
    /// (SCHED_OTHER) when `priority` is nil; returns its pid.
    @discardableResult
    static func pinReceiveThread(of port: String, to cpus: [Int], priority: Int?) throws -> Int32 {
        guard let pid = LabCPU.napiThread(of: port) else {
            throw Failure(description: "no NAPI thread for \(port): threaded NAPI did not take (echo 1 > /sys/class/net/\(port)/threaded)")
        }
        try setAffinity(pid: pid, cpus: cpus)
        if let priority {
            try run(["chrt", "-f", "-p", "\(priority)", "\(pid)"])
        } else {
            try run(["chrt", "-o", "-p", "0", "\(pid)"])
        }
        return pid
    }
}
