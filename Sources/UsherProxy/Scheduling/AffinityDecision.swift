import NIOCore
import NIOHTTP1
import UsherCore

/// How a request's member is chosen under the pool's affinity.
enum AffinityDecision: Equatable {
    /// No affinity, or its key is absent: the scheduler decides.
    case scheduler
    /// Rendezvous hash of the client's key (address, header value, application cookie).
    case hash(UInt64)
    /// The inserted cookie names this member and it is up.
    case member(Int)

    /// Reads the affinity key from the request. For an inserted cookie, `insertCookie` tells
    /// whether the response must (re)set it: absent, unknown or naming a member now down.
    static func decide(
        _ affinity: Affinity, pool: PoolRuntime, head: HTTPRequestHead, client: SocketAddress?
    ) -> (decision: AffinityDecision, insertCookie: Bool) {
        switch affinity {
        case .none:
            return (.scheduler, false)
        case .sourceIP:
            guard let client, let bytes = client.addressBytes else { return (.scheduler, false) }
            return (.hash(StableHash.of(bytes: bytes)), false)
        case .header(let name):
            guard let value = head.headers.first(name: name) else { return (.scheduler, false) }
            return (.hash(StableHash.of(Substring(value))), false)
        case .applicationCookie(let name):
            guard let value = CookieHeader.value(named: name, in: head.headers) else { return (.scheduler, false) }
            return (.hash(StableHash.of(value)), false)
        case .insertedCookie(let name):
            if let id = CookieHeader.value(named: name, in: head.headers), let m = pool.member(cookieID: id) {
                return (.member(m.index), false)
            }
            return (.scheduler, true)
        }
    }
}

extension SocketAddress {
    /// The address without the port, in network order (4 or 16 bytes).
    var addressBytes: [UInt8]? {
        switch self {
        case .v4(let a):
            return withUnsafeBytes(of: a.address.sin_addr.s_addr) { Array($0) }
        case .v6(let a):
            return withUnsafeBytes(of: a.address.sin6_addr) { Array($0) }
        case .unixDomainSocket:
            return nil
        }
    }
}

/// Reading one cookie from `Cookie` request headers (RFC 6265 §5.4: `a=1; b=2`, possibly in
/// several header lines).
enum CookieHeader {
    static func value(named name: String, in headers: HTTPHeaders) -> Substring? {
        for line in headers["cookie"] {
            for pair in line.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " || $0 == "\t" }
                guard let eq = trimmed.firstIndex(of: "=") else { continue }
                if trimmed[..<eq] == name[...] {
                    var value = trimmed[trimmed.index(after: eq)...]
                    while value.last == " " || value.last == "\t" { value = value.dropLast() }
                    if value.count >= 2, value.first == "\"", value.last == "\"" {
                        value = value.dropFirst().dropLast()
                    }
                    return value
                }
            }
        }
        return nil
    }
}
