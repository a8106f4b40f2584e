/// An address with a prefix length, e.g. `198.51.100.64/26`.
public struct IPPrefix: Hashable, Sendable, Codable, CustomStringConvertible {
    public let address: IPAddress
    public let length: Int

    public init?(address: IPAddress, length: Int) {
        guard length >= 0, length <= address.bytes.count * 8 else { return nil }
        self.address = address
        self.length = length
    }

    /// Parses `ADDRESS/LEN`; a bare address is a host prefix (/32 or /128).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let a = IPAddress(String(parts[0])) else { return nil }
        if parts.count == 2 {
            guard (1...3).contains(parts[1].count), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                  !(parts[1].count > 1 && parts[1].first == "0"), let l = Int(parts[1]) else { return nil }
            self.init(address: a, length: l)
        } else {
            self.init(address: a, length: a.bytes.count * 8)
        }
    }

    public var description: String { "\(address)/\(length)" }

    /// Network-order mask of the host bits (the bits not covered by the prefix).
    public var hostMaskBytes: [UInt8] {
        let n = address.bytes.count
        return (0..<n).map { i in
            let covered = max(0, min(8, length - i * 8))
            return covered == 8 ? 0 : UInt8(0xff >> covered)
        }
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let p = IPPrefix(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a prefix: \(text)"))
        }
        self = p
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
