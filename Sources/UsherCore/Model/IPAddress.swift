/// An IPv4 or IPv6 address, held as its network-order bytes.
public enum IPAddress: Hashable, Sendable, Comparable {
    case v4(UInt8, UInt8, UInt8, UInt8)
    case v6([UInt8]) // always 16 bytes

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with `::` and an embedded IPv4 tail).
    /// Returns nil for anything else; callers turn that into a located `ConfigError`.
    public init?(_ text: String) {
        if text.contains(":") {
            guard let bytes = IPAddress.parseV6(Substring(text)) else { return nil }
            self = .v6(bytes)
        } else {
            guard let b = IPAddress.parseV4(Substring(text)) else { return nil }
            self = .v4(b[0], b[1], b[2], b[3])
        }
    }

    /// Builds an address from 4 or 16 network-order bytes.
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4: self = .v4(bytes[0], bytes[1], bytes[2], bytes[3])
        case 16: self = .v6(bytes)
        default: return nil
        }
    }

    public var isV4: Bool { if case .v4 = self { return true } else { return false } }

    /// Network-order bytes: 4 for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        switch self {
        case let .v4(a, b, c, d): return [a, b, c, d]
        case let .v6(b): return b
        }
    }

    /// The 16-byte form used in BPF map keys: IPv4 in the first four bytes, the rest zero.
    public var paddedBytes: [UInt8] {
        let b = bytes
        return b + [UInt8](repeating: 0, count: 16 - b.count)
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.isV4 != rhs.isV4 { return lhs.isV4 }
        return lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    static func parseV4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), p.allSatisfy(\.isNumber),
                  !(p.count > 1 && p.first == "0"), let v = UInt8(p) else { return nil }
            out.append(v)
        }
        return out
    }

    static func parseV6(_ text: Substring) -> [UInt8]? {
        var head: [UInt16] = [], tail: [UInt16] = []
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String, allowV4Tail: Bool) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, p) in parts.enumerated() {
                if allowV4Tail, i == parts.count - 1, p.contains(".") {
                    guard let v4 = parseV4(p) else { return nil }
                    out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                } else {
                    // Hex digits only: UInt16(_:radix:) would also take "+12" and "-0".
                    guard (1...4).contains(p.count), p.allSatisfy(\.isHexDigit), p.allSatisfy(\.isASCII),
                          let v = UInt16(p, radix: 16) else { return nil }
                    out.append(v)
                }
            }
            return out
        }
        if halves.count == 2 {
            guard let h = groups(halves[0], allowV4Tail: false),
                  let t = groups(halves[1], allowV4Tail: true), h.count + t.count <= 7 else { return nil }
            head = h; tail = t
        } else {
            guard let h = groups(halves[0], allowV4Tail: true), h.count == 8 else { return nil }
            head = h
        }
        let all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
}

extension IPAddress: CustomStringConvertible {
    /// Dotted quad, or RFC 5952 canonical IPv6 text.
    public var description: String {
        switch self {
        case let .v4(a, b, c, d): return "\(a).\(b).\(c).\(d)"
        case let .v6(bytes):
            let g = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
            // Longest run (length >= 2) of zero groups becomes "::".
            var best = (start: -1, len: 0), cur = (start: -1, len: 0)
            for (i, v) in g.enumerated() {
                if v == 0 {
                    cur = cur.start < 0 ? (i, 1) : (cur.start, cur.len + 1)
                    if cur.len > best.len { best = cur }
                } else { cur = (-1, 0) }
            }
            let hex = g.map { String($0, radix: 16) }
            if best.len < 2 { return hex.joined(separator: ":") }
            let left = hex[..<best.start].joined(separator: ":")
            let right = hex[(best.start + best.len)...].joined(separator: ":")
            return left + "::" + right
        }
    }
}

extension IPAddress: Codable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let a = IPAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an IP address: \(text)"))
        }
        self = a
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
