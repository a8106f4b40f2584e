import Foundation
import UsherCore

/// The IP addresses of this host's interfaces (in the daemon's network namespace).
enum LocalAddresses {
    static func current() -> Set<IPAddress> {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return [] }
        defer { freeifaddrs(first) }
        var out: Set<IPAddress> = []
        var next = first
        while let entry = next {
            defer { next = entry.pointee.ifa_next }
            guard let sa = entry.pointee.ifa_addr else { continue }
            switch Int32(sa.pointee.sa_family) {
            case AF_INET:
                let bytes = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) } }
                if let address = IPAddress(bytes: bytes) { out.insert(address) }
            case AF_INET6:
                let bytes = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) } }
                if let address = IPAddress(bytes: bytes) { out.insert(address) }
            default:
                continue
            }
        }
        return out
    }
}
