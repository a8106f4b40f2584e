import CUsherABI
import UsherCore

/// The names of the maps of `BPF/usher_xdp.c` (contracts.md), and of its programs.
package enum MapName {
    static let generation = "usher_gen_v1"
    static let vips = "usher_vips_v2"
    static let services = "usher_svcs_v1"
    static let reals = "usher_reals_v3"
    static let maglev = "usher_maglev_v2"
    package static let flowSets = "usher_ctset_v3"
    package static let flowWays = "usher_ct_v3"
    static let global = "usher_global_v2"
    static let stats = "usher_stats_v3"
    static let serviceStats = "usher_sstats_v2"
    static let realStats = "usher_rstats_v1"
    static let addresses = "usher_addrs_v1"
    static let snatPools = "usher_snat_v1"
    package static let natFlows = "usher_nat_v2"
    package static let natReplies = "usher_natrev_v2"
    static let all = [
        generation, vips, services, reals, maglev, flowSets, flowWays, global, stats, serviceStats, realStats,
        addresses, snatPools, natFlows, natReplies,
    ]
}

package enum ProgramName {
    package static let balancer = "usher_balance"
    static let pass = "usher_pass"
    static let decap = "usher_decap"
}

/// Copies `bytes` into a C fixed-size array (imported as a tuple), zero-filling the rest.
package func setBytes<T: BitwiseCopyable>(_ field: inout T, _ bytes: [UInt8]) {
    withUnsafeMutableBytes(of: &field) { raw in
        raw.initializeMemory(as: UInt8.self, repeating: 0)
        raw.copyBytes(from: bytes.prefix(raw.count))
    }
}

/// The bytes of a C fixed-size array (imported as a tuple).
package func getBytes<T: BitwiseCopyable>(_ field: T) -> [UInt8] {
    withUnsafeBytes(of: field) { Array($0) }
}

/// Whether two C structs have the same bytes (padding included: we always zero it).
func sameBytes<T: BitwiseCopyable>(_ a: T, _ b: T) -> Bool {
    withUnsafeBytes(of: a) { ra in withUnsafeBytes(of: b) { rb in ra.elementsEqual(rb) } }
}

/// A zero-initialised C struct, whatever its type.
package func zeroed<T: BitwiseCopyable>(_: T.Type = T.self) -> T {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment)
    defer { raw.deallocate() }
    raw.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.size)
    return raw.load(as: T.self)
}

extension IPAddress {
    var familyCode: UInt8 { isV4 ? UInt8(USHER_FAMILY_V4) : UInt8(USHER_FAMILY_V6) }

    /// The address held in a 16-byte ABI field of the given family.
    init?(abiBytes: [UInt8], family: UInt8) {
        switch Int32(family) {
        case USHER_FAMILY_V4: self.init(bytes: Array(abiBytes.prefix(4)))
        case USHER_FAMILY_V6: self.init(bytes: abiBytes)
        default: return nil
        }
    }
}

extension ServiceKey {
    /// The key of usher_vips_v2, in slot 0 (the apply sets the slot it writes).
    var abi: usher_vip_key {
        var key = zeroed(usher_vip_key.self)
        setBytes(&key.addr, vip.paddedBytes)
        key.port = port.bigEndian
        key.proto = proto.number
        key.family = vip.familyCode
        return key
    }

    init?(abi key: usher_vip_key) {
        guard let vip = IPAddress(abiBytes: getBytes(key.addr), family: key.family) else { return nil }
        let proto: TransportProtocol
        switch key.proto {
        case TransportProtocol.tcp.number: proto = .tcp
        case TransportProtocol.udp.number: proto = .udp
        default: return nil
        }
        self.init(vip: vip, port: UInt16(bigEndian: key.port), proto: proto)
    }
}

extension ForwardingMode {
    /// USHER_MODE_* of this mode.
    var abiMode: UInt8 {
        switch self {
        case .dsrL2: return UInt8(USHER_MODE_DSR_L2)
        case .dsrIPIP: return UInt8(USHER_MODE_DSR_IPIP)
        case .http, .https: return UInt8(USHER_MODE_L7)
        case .nat: return UInt8(USHER_MODE_NAT)
        case .gateway: return UInt8(USHER_MODE_GATEWAY)
        }
    }

    /// A name for a USHER_MODE_* value read from a map.
    static func abiName(_ mode: UInt8) -> String {
        switch Int32(mode) {
        case USHER_MODE_DSR_L2: return "dsr-l2"
        case USHER_MODE_DSR_IPIP: return "dsr-ipip"
        case USHER_MODE_L7: return "l7"
        case USHER_MODE_NAT: return "nat"
        case USHER_MODE_GATEWAY: return "gateway"
        default: return "unknown(\(mode))"
        }
    }
}

extension VirtualService {
    /// The value of usher_vips_v2 for this service under `id` (nat: using SNAT pool `snatPool`).
    func abiService(id: UInt32, snatPool: UInt32 = 0) -> usher_service {
        var value = zeroed(usher_service.self)
        value.id = id
        value.snat_pool = UInt16(truncatingIfNeeded: snatPool)
        value.mode = mode.abiMode
        value.flags = hashSourceOnly ? UInt8(USHER_SVC_F_SRC_HASH) : 0
        return value
    }
}

extension Encapsulation {
    /// The value of usher_global_v2: outer source bases and host masks, network order.
    var abiGlobal: usher_global {
        var global = zeroed(usher_global.self)
        if let v4 = sourceV4, v4.address.isV4 {
            let mask = v4.hostMaskBytes
            let base = zip(v4.address.bytes, mask).map { $0 & ~$1 }
            setBytes(&global.encap_src4, base)
            setBytes(&global.encap_src4_hostmask, mask)
        }
        if let v6 = sourceV6, !v6.address.isV4 {
            let mask = v6.hostMaskBytes
            let base = zip(v6.address.bytes, mask).map { $0 & ~$1 }
            setBytes(&global.encap_src6, base)
            setBytes(&global.encap_src6_hostmask, Array(mask[12..<16]))
        }
        return global
    }
}
