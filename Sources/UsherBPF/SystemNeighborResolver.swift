import Foundation
import UsherCore

/// Resolves next hops the way the kernel would route: `ip -j route get ADDR` gives the egress
/// interface and gateway, `ip -j neigh show` the neighbour's MAC, `ip -j link show` the
/// interface's own MAC and index (sysfs would describe the root namespace's interfaces under
/// `nsenter`, so it is not used). A missing neighbour entry is provoked with a UDP datagram
/// to the discard port of the neighbour and awaited for about two seconds. Runs in the
/// caller's network namespace.
public struct SystemNeighborResolver: NeighborResolving, Sendable {
    /// How long to wait for a neighbour entry to appear.
    public var timeout: TimeInterval

    public init(timeout: TimeInterval = 2) {
        self.timeout = timeout
    }

    public func nextHop(for address: IPAddress) throws -> NextHop {
        let route = try self.route(to: address)
        let link = try self.link(route.dev, for: address)
        let target = route.gateway ?? address
        let deadline = Date().addingTimeInterval(timeout)
        var lastState = "no entry"
        var attempt = 0
        while true {
            let (mac, state) = try neighbour(target, dev: route.dev, for: address)
            if let mac { return NextHop(ifindex: link.ifindex, interface: route.dev, mac: mac, sourceMAC: link.mac, gateway: route.gateway) }
            lastState = state
            guard Date() < deadline else { break }
            if attempt % 5 == 0 { provokeResolution(of: target) }
            attempt += 1
            Thread.sleep(forTimeInterval: 0.1)
        }
        let via = route.gateway.map { "its gateway \($0)" } ?? "it"
        throw BPFError(call: "resolve next hop", subject: "real \(address) (dev \(route.dev))",
                       message: "no usable neighbour entry for \(via) on \(route.dev) after \(Int(timeout)) s (\(lastState)); " +
                           "check that \(target) is up and reachable on \(route.dev), or give the real a `mac:` in the config")
    }

    public func currentNextHop(for address: IPAddress) -> NextHop? {
        guard let route = try? self.route(to: address), let link = try? self.link(route.dev, for: address),
              case let (mac?, _)? = try? neighbour(route.gateway ?? address, dev: route.dev, for: address) else { return nil }
        return NextHop(ifindex: link.ifindex, interface: route.dev, mac: mac, sourceMAC: link.mac, gateway: route.gateway)
    }

    // MARK: The three questions asked of iproute2

    private struct Route { var dev: String; var gateway: IPAddress? }
    private struct Link { var ifindex: UInt32; var mac: MACAddress }

    private func route(to address: IPAddress) throws -> Route {
        let subject = "real \(address)"
        let objects = try ip(["route", "get", address.description], subject: subject)
        guard let first = objects.first, let dev = first["dev"] as? String else {
            throw BPFError(call: "ip route get", subject: subject, message: "the kernel has no route to it; add one, or give the real a `mac:`")
        }
        if (first["type"] as? String) == "local" || dev == "lo" {
            throw BPFError(call: "ip route get", subject: subject,
                           message: "it is an address of this host; a real server must be another machine")
        }
        let gateway = (first["gateway"] as? String).flatMap(IPAddress.init)
        return Route(dev: dev, gateway: gateway)
    }

    private func link(_ dev: String, for address: IPAddress) throws -> Link {
        let subject = "real \(address) (dev \(dev))"
        let objects = try ip(["link", "show", "dev", dev], subject: subject)
        guard let first = objects.first, let index = first["ifindex"] as? Int else {
            throw BPFError(call: "ip link show", subject: subject, message: "interface \(dev) vanished while resolving")
        }
        guard let text = first["address"] as? String, let mac = MACAddress(text), !mac.isZero else {
            throw BPFError(call: "ip link show", subject: subject,
                           message: "interface \(dev) has no Ethernet address; the balancer can only forward over Ethernet")
        }
        return Link(ifindex: UInt32(index), mac: mac)
    }

    /// The neighbour's MAC if its entry is usable, and the entry's state for messages.
    private func neighbour(_ target: IPAddress, dev: String, for address: IPAddress) throws -> (MACAddress?, String) {
        let objects = try ip(["neigh", "show", "to", target.description, "dev", dev], subject: "real \(address) (dev \(dev))")
        guard let entry = objects.first(where: { ($0["dst"] as? String).flatMap(IPAddress.init) == target }) ?? objects.first else {
            return (nil, "no entry")
        }
        let states = (entry["state"] as? [String]) ?? []
        let usable: Set<String> = ["REACHABLE", "STALE", "PERMANENT", "DELAY", "PROBE", "NOARP"]
        let stateText = states.isEmpty ? "no state" : states.joined(separator: ",")
        guard states.contains(where: usable.contains),
              let text = entry["lladdr"] as? String, let mac = MACAddress(text), !mac.isZero else {
            return (nil, "state \(stateText)")
        }
        return (mac, stateText)
    }

    /// Sends one UDP datagram to the discard port (9) of `target`: the kernel resolves the
    /// neighbour to send it. Errors are ignored; the neighbour table tells the result.
    private func provokeResolution(of target: IPAddress) {
        let bytes = target.bytes
        if target.isV4 {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { return }
            defer { close(fd) }
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = UInt16(9).bigEndian
            withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: bytes) }
            _ = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, "usher", 5, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        } else {
            let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { return }
            defer { close(fd) }
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = UInt16(9).bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: bytes) }
            _ = withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, "usher", 5, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// Runs `ip -j ARGS` and parses its JSON array of objects.
    private func ip(_ arguments: [String], subject: String) throws -> [[String: Any]] {
        let call = "ip " + arguments.prefix(2).joined(separator: " ")
        let candidates = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BPFError(call: call, subject: subject, message: "iproute2 is not installed (apt-get install iproute2)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-j"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            throw BPFError(call: call, subject: subject, message: "cannot run \(path): \(error)")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BPFError(call: call, subject: subject,
                           message: errorText.isEmpty ? "ip exited with status \(process.terminationStatus)" : "ip said: \(errorText)")
        }
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0a }) { return [] }
        guard let parsed = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw BPFError(call: call, subject: subject, message: "unexpected output from ip -j: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        return parsed
    }
}
