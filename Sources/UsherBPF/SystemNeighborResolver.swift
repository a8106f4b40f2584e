import CNetlink
import Foundation
import UsherCore

/// Resolves next hops the way the kernel routes, over rtnetlink (`NetlinkSocket`): the route
/// to the address gives the egress interface and gateway (RTM_GETROUTE), the neighbour entry
/// of the real or its gateway gives the MAC (RTM_GETNEIGH), the interface gives its own MAC
/// (RTM_GETLINK). A missing neighbour entry is provoked with a UDP datagram to the discard
/// port of the neighbour and awaited until `timeout`. (RTM_NEWNEIGH with NTF_USE would ask the
/// kernel to resolve without sending anything, but for IPv6 its solicitation needs a
/// non-tentative link-local address, which an interface just brought up does not have yet;
/// the datagram's solicitation uses the routed source address.) Runs in the calling thread's
/// network namespace.
///
/// The name is the one callers have always used; it used to run `ip -j` as child processes,
/// which could hang `apply` for ever in a namespace whose loopback is down (Foundation watches
/// children through a 127.0.0.1 socket pair). No child process is started now, and every wait
/// on the kernel has a deadline.
public struct SystemNeighborResolver: NeighborResolving, Sendable {
    /// How long to wait for a neighbour entry to appear.
    public var timeout: TimeInterval

    public init(timeout: TimeInterval = 2) {
        self.timeout = timeout
    }

    public func nextHop(for address: IPAddress) throws -> NextHop {
        let kernel = try NetlinkSocket()
        let (route, link) = try egress(to: address, kernel: kernel)
        let target = route.gateway ?? address
        let subject = "real \(address) (dev \(link.name))"
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        var lastState = "no entry"
        var attempt = 0
        while true {
            let entry = try kernel.neighbour(of: target, ifindex: link.index, subject: subject)
            if let hop = Self.nextHop(route: route, link: link, neighbour: entry) { return hop }
            lastState = entry.map { "state \($0.stateName)" } ?? "no entry"
            guard ContinuousClock.now < deadline else { break }
            if attempt % 5 == 0 { provokeResolution(of: target) }
            attempt += 1
            usleep(100_000)
        }
        let via = route.gateway.map { "its gateway \($0)" } ?? "it"
        throw BPFError(call: "resolve next hop", subject: subject,
                       message: "no usable neighbour entry for \(via) on \(link.name) after \(Int(timeout)) s (\(lastState)); " +
                           "check that \(target) is up and reachable on \(link.name), or give the real a `mac:` in the config")
    }

    public func currentNextHop(for address: IPAddress) -> NextHop? {
        guard let kernel = try? NetlinkSocket(), let (route, link) = try? egress(to: address, kernel: kernel),
              let entry = try? kernel.neighbour(of: route.gateway ?? address, ifindex: link.index, subject: "real \(address)")
        else { return nil }
        return Self.nextHop(route: route, link: link, neighbour: entry)
    }

    private static func nextHop(route: RouteRecord, link: LinkRecord, neighbour: NeighbourRecord?) -> NextHop? {
        guard let mac = neighbour?.usableMAC, let source = link.mac else { return nil }
        return NextHop(ifindex: link.index, interface: link.name, mac: mac, sourceMAC: source, gateway: route.gateway)
    }

    /// The route to `address` and its egress interface, or an error saying why the balancer
    /// cannot forward to it (no route, an address of this host, not Ethernet).
    private func egress(to address: IPAddress, kernel: NetlinkSocket) throws -> (RouteRecord, LinkRecord) {
        let subject = "real \(address)"
        let route: RouteRecord
        do {
            route = try kernel.route(to: address, subject: subject)
        } catch let error as BPFError where [ENETUNREACH, EHOSTUNREACH, EACCES].contains(error.errno ?? 0) {
            throw BPFError(call: "route lookup", subject: subject, errno: error.errno,
                           message: "the kernel has no route to it; add one, or give the real a `mac:`")
        }
        if route.type == UInt8(RTN_LOCAL) {
            throw BPFError(call: "route lookup", subject: subject, message: "it is an address of this host; a real server must be another machine")
        }
        guard route.type == UInt8(RTN_UNICAST), let index = route.outputIndex else {
            throw BPFError(call: "route lookup", subject: subject,
                           message: "its route is of type \(route.typeName), not through an interface; add a route to it, or give the real a `mac:`")
        }
        let link: LinkRecord
        do {
            link = try kernel.link(index, subject: "\(subject) (ifindex \(index))")
        } catch let error as BPFError where error.errno == ENODEV {
            throw BPFError(call: "link lookup", subject: "\(subject) (ifindex \(index))", message: "interface \(index) vanished while resolving")
        }
        if link.hardwareType == LinkRecord.loopbackType {
            throw BPFError(call: "route lookup", subject: subject, message: "it is an address of this host; a real server must be another machine")
        }
        guard let mac = link.mac, !mac.isZero else {
            throw BPFError(call: "link lookup", subject: "\(subject) (dev \(link.name))",
                           message: "interface \(link.name) has no Ethernet address; the balancer can only forward over Ethernet")
        }
        return (route, link)
    }

    /// Sends one UDP datagram to the discard port (9) of `target`: the kernel resolves the
    /// neighbour to send it. Errors are ignored; the neighbour table tells the result.
    private func provokeResolution(of target: IPAddress) {
        var storage = sockaddr_storage()
        let length: Int
        withUnsafeMutableBytes(of: &storage) { raw in
            if target.isV4 {
                var sin = sockaddr_in()
                sin.sin_family = sa_family_t(AF_INET)
                sin.sin_port = UInt16(9).bigEndian
                withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: target.bytes) }
                withUnsafeBytes(of: sin) { raw.copyMemory(from: $0) }
            } else {
                var sin6 = sockaddr_in6()
                sin6.sin6_family = sa_family_t(AF_INET6)
                sin6.sin6_port = UInt16(9).bigEndian
                withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: target.bytes) }
                withUnsafeBytes(of: sin6) { raw.copyMemory(from: $0) }
            }
        }
        length = target.isV4 ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size
        let fd = socket(target.isV4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, "usher", 5, Int32(MSG_DONTWAIT), $0, socklen_t(length))
            }
        }
    }
}
