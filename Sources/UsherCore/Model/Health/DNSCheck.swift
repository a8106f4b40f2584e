/// A DNS check: one query over UDP; it passes when the answer's rcode is among `expectRcodes`.
public struct DNSCheck: Hashable, Sendable, Codable {
    public var name: String
    /// The query type's number (1 = A, 28 = AAAA, …; `DNSCheck.types` names them).
    public var type: UInt16
    /// Accepted response codes (0 = NOERROR, …; `DNSCheck.rcodes` names them).
    public var expectRcodes: [UInt8]

    public init(name: String, type: UInt16 = 1, expectRcodes: [UInt8] = [0]) {
        self.name = name
        self.type = type
        self.expectRcodes = expectRcodes
    }

    /// The query types a config can name.
    public static let types: [(name: String, value: UInt16)] = [
        ("A", 1), ("NS", 2), ("CNAME", 5), ("SOA", 6), ("PTR", 12), ("MX", 15), ("TXT", 16), ("AAAA", 28),
        ("SRV", 33), ("ANY", 255),
    ]

    /// The response codes a config can name (RFC 1035, 2136).
    public static let rcodes: [(name: String, value: UInt8)] = [
        ("NOERROR", 0), ("FORMERR", 1), ("SERVFAIL", 2), ("NXDOMAIN", 3), ("NOTIMP", 4), ("REFUSED", 5),
        ("YXDOMAIN", 6), ("YXRRSET", 7), ("NXRRSET", 8), ("NOTAUTH", 9), ("NOTZONE", 10),
    ]

    /// `NOERROR`, or the number for a code without a name.
    public static func rcodeName(_ code: UInt8) -> String {
        rcodes.first { $0.value == code }?.name ?? "\(code)"
    }
}
