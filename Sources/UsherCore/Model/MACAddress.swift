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
    public var description: String { bytes.map { String(format: "%02x", $0) }.joined(separator: ":") }

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
