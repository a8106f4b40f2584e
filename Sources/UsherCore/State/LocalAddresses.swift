#if canImport(Glibc)
import Glibc
#endif

/// The addresses of this network namespace's interfaces (getifaddrs), to tell the pair's own
/// address among its peers (ha:, sync: without address:).
public enum LocalAddresses {
    public static func current() -> Set<IPAddress> {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return [] }
        defer { freeifaddrs(first) }
        var out = Set<IPAddress>()
        var cursor = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let sockaddr = entry.pointee.ifa_addr else { continue }
            switch Int32(sockaddr.pointee.sa_family) {
            case AF_INET:
                let bytes = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) }
                }
                if let a = IPAddress(bytes: bytes) { out.insert(a) }
            case AF_INET6:
                let bytes = sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }
                }
                if let a = IPAddress(bytes: bytes) { out.insert(a) }
            default:
                continue
            }
        }
        return out
    }
}
