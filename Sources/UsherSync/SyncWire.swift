import UsherBPF

/// The byte layout of one flow in a `SyncMessage`, big-endian, reserved bytes zero:
///
///     offset size  tracked and nat          offset size  nat only
///      0      1    kind (1 tracked, 2 nat)   64     16   SNAT address (gateway: the client's)
///      1      1    family (4, 6)             80      2   SNAT port
///      2      1    protocol (6, 17)          82      2   port at the real
///      3      1    reserved                  84      1   state the client sent (USHER_NAT_S_*)
///      4     16    client address            85      1   state the real sent
///     20     16    VIP                       86      6   MAC of the client-side hop
///     36      2    client port               92      4   age of the reply direction, ms
///     38      2    VIP port                  96     16   interface name, NUL-padded (≤ 15 bytes)
///     40      2    service port (0: every port)
///     42      2    real's configured port (0: the client's)
///     44     16    real address
///     60      4    age: milliseconds since the flow's last packet
///
/// Addresses are 16 bytes; an IPv4 address fills the first 4 and the rest is zero.
enum SyncWire {
    static let trackedSize = 64
    static let natSize = 112
    static let interfaceNameSize = 16

    static func size(of flow: FlowRecord) -> Int { flow.translation == nil ? trackedSize : natSize }

    static func append(_ flow: FlowRecord, to out: inout [UInt8]) {
        out.append(flow.translation == nil ? FlowRecord.Kind.tracked.rawValue : FlowRecord.Kind.nat.rawValue)
        out.append(flow.family)
        out.append(flow.proto)
        out.append(0)
        appendAddress(flow.client, to: &out)
        appendAddress(flow.vip, to: &out)
        append16(flow.clientPort, to: &out)
        append16(flow.vipPort, to: &out)
        append16(flow.servicePort, to: &out)
        append16(flow.realConfiguredPort, to: &out)
        appendAddress(flow.real, to: &out)
        append32(flow.ageMilliseconds, to: &out)
        guard let t = flow.translation else { return }
        appendAddress(t.snatAddress, to: &out)
        append16(t.snatPort, to: &out)
        append16(t.realPort, to: &out)
        out.append(t.clientState)
        out.append(t.replyState)
        out.append(contentsOf: (t.clientMAC + [UInt8](repeating: 0, count: 6)).prefix(6))
        append32(t.replyAgeMilliseconds, to: &out)
        let name = Array(t.interface.utf8.prefix(interfaceNameSize - 1))
        out.append(contentsOf: name + [UInt8](repeating: 0, count: interfaceNameSize - name.count))
    }

    /// The flow at `offset` of `bytes` and its size; nil with the reason if it is not a valid one.
    static func read(_ bytes: ArraySlice<UInt8>, at offset: Int) -> Result<(FlowRecord, Int), SyncDecodeError> {
        var r = ByteReader(bytes: bytes, offset: offset)
        guard let kindByte = r.u8(), let family = r.u8(), let proto = r.u8(), let reserved = r.u8() else {
            return .failure(.truncated)
        }
        guard let kind = FlowRecord.Kind(rawValue: kindByte) else { return .failure(.badField("flow kind \(kindByte)")) }
        guard family == 4 || family == 6 else { return .failure(.badField("address family \(family)")) }
        guard proto == 6 || proto == 17 else { return .failure(.badField("protocol \(proto)")) }
        guard reserved == 0 else { return .failure(.badField("reserved byte")) }
        guard let client = r.address(family), let vip = r.address(family), let clientPort = r.u16(), let vipPort = r.u16(),
              let servicePort = r.u16(), let realPort = r.u16(), let real = r.address(family), let age = r.u32()
        else { return .failure(r.failure) }
        guard servicePort == 0 || servicePort == vipPort else { return .failure(.badField("service port")) }
        var flow = FlowRecord(kind: kind, family: family, proto: proto, client: client, clientPort: clientPort, vip: vip,
                              vipPort: vipPort, servicePort: servicePort, real: real, realConfiguredPort: realPort,
                              ageMilliseconds: age)
        if kind == .nat {
            guard let snat = r.address(family), let snatPort = r.u16(), let natRealPort = r.u16(), let clientState = r.u8(),
                  let replyState = r.u8(), let mac = r.bytes(6), let replyAge = r.u32(), let nameBytes = r.bytes(interfaceNameSize)
            else { return .failure(r.failure) }
            let name = nameBytes.prefix { $0 != 0 }
            guard !name.isEmpty, name.count < interfaceNameSize, nameBytes.dropFirst(name.count).allSatisfy({ $0 == 0 }),
                  name.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: ":") })
            else { return .failure(.badField("interface name")) }
            guard clientState & ~0x03 == 0, replyState & ~0x03 == 0 else { return .failure(.badField("NAT state")) }
            flow.translation = FlowRecord.Translation(
                snatAddress: snat, snatPort: snatPort, realPort: natRealPort, clientState: clientState, replyState: replyState,
                replyAgeMilliseconds: replyAge, clientMAC: mac, interface: String(decoding: name, as: UTF8.self))
        }
        return .success((flow, r.offset - offset))
    }

    static func append16(_ value: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(value >> 8))
        out.append(UInt8(value & 0xFF))
    }

    static func append32(_ value: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }

    static func append64(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((value >> UInt64(shift)) & 0xFF)) }
    }

    private static func appendAddress(_ address: [UInt8], to out: inout [UInt8]) {
        out.append(contentsOf: (address + [UInt8](repeating: 0, count: 16)).prefix(16))
    }
}

/// Reads big-endian fields from a slice, never past its end.
struct ByteReader {
    let bytes: ArraySlice<UInt8>
    var offset: Int
    /// Why the last read returned nil.
    private(set) var failure = SyncDecodeError.truncated

    init(bytes: ArraySlice<UInt8>, offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        let start = bytes.startIndex + offset
        guard count >= 0, offset >= 0, start <= bytes.endIndex - count else {
            failure = .truncated
            return nil
        }
        offset += count
        return Array(bytes[start..<(start + count)])
    }

    mutating func u8() -> UInt8? { bytes(1)?[0] }
    mutating func u16() -> UInt16? { bytes(2).map { UInt16($0[0]) << 8 | UInt16($0[1]) } }
    mutating func u32() -> UInt32? { bytes(4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } } }
    mutating func u64() -> UInt64? { bytes(8).map { $0.reduce(0) { $0 << 8 | UInt64($1) } } }

    /// A 16-byte address field; an IPv4 one must have its last 12 bytes zero.
    mutating func address(_ family: UInt8) -> [UInt8]? {
        guard let raw = bytes(16) else { return nil }
        if family == 4, raw[4...].contains(where: { $0 != 0 }) {
            failure = .badField("IPv4 address with bytes after its fourth")
            return nil
        }
        return raw
    }
}
