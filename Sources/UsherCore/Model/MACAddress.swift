import Foundation

/// A 48-bit Ethernet address.
public struct MACAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    public let bytes: [UInt8] // always 6

    public init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        self.bytes = bytes
    }

    /// Parses `aa:bb:cc:dd:ee:ff` (or with `-`), case-insensitive.
    public init?(_ text: String) {
        let parts = text.split(omittingEmptySubsequences: false) { $0 == ":" || $0 == "-" }
        guard parts.count == 6 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            // Hex digits only: UInt8(_:radix:) would also take "+2".
            guard p.count == 2, p.allSatisfy(\.isHexDigit), p.allSatisfy(\.isASCII), let v = UInt8(p, radix: 16) else { return nil }
            out.append(v)
        }
        bytes = out
    }

    public var isZero: Bool { bytes.allSatisfy { $0 == 0 } }
    /// `02:00:00:00:02:11`: lower-case hex written byte by byte (String(format:) cost a fifth of
    /// an apply of 100,000 reals, whose saved state holds every real's MAC).
    public var description: String {
        guard bytes.count == 6 else { return bytes.map { String($0, radix: 16) }.joined(separator: ":") }
        return String(unsafeUninitializedCapacity: 17) { out in
            for (i, byte) in bytes.enumerated() {
                if i > 0 { out[i * 3 - 1] = UInt8(ascii: ":") }
                out[i * 3] = Self.hex[Int(byte >> 4)]
                out[i * 3 + 1] = Self.hex[Int(byte & 0x0F)]
            }
            return 17
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let m = MACAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a MAC address: \(text)"))
        }
        self = m
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
