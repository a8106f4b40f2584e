import CUsherABI
import UsherCore

/// The content of usher_addrs_v1 a config asks for: USHER_ADDR_F_* of every VIP, SNAT address
/// and gateway real, by slot (USHER_ADDR_SLOT of the address folded as the flow hash folds it).
/// Slots are shared by addresses that collide; the flags are a union, so a set flag only tells
/// the data plane to look further.
struct AddressFilter: Equatable {
    /// Nonzero slots only.
    var slots: [UInt32: UInt32] = [:]

    init(_ config: BalancerConfig) {
        for service in config.services {
            add(service.vip, service.port == 0 ? USHER_ADDR_F_VIP_ALL : USHER_ADDR_F_VIP_PORT)
            if service.mode == .dsrL2 || service.mode == .dsrIPIP { add(service.vip, USHER_ADDR_F_DSR) }
            if service.mode == .gateway {
                for real in service.reals { add(real.address, USHER_ADDR_F_GW_REAL) }
            }
        }
        let natPools = Set(config.services.filter { $0.mode == .nat }.compactMap(\.snatPool))
        for pool in config.snatPools where natPools.contains(pool.name) {
            for address in pool.addresses { add(address, USHER_ADDR_F_SNAT) }
        }
    }

    private mutating func add(_ address: IPAddress, _ flag: Int32) {
        slots[Self.slot(of: address), default: 0] |= UInt32(flag)
    }

    /// The slot of an address: its bytes as little-endian 32-bit words (XORed for IPv6), times
    /// USHER_ADDR_SLOT_MUL, top 16 bits.
    static func slot(of address: IPAddress) -> UInt32 {
        let bytes = address.bytes
        var folded: UInt32 = 0
        for word in stride(from: 0, to: bytes.count, by: 4) {
            folded ^= UInt32(bytes[word]) | UInt32(bytes[word + 1]) << 8 | UInt32(bytes[word + 2]) << 16 | UInt32(bytes[word + 3]) << 24
        }
        return (folded &* USHER_ADDR_SLOT_MUL) >> 16
    }

    /// The writes that set every wanted bit while keeping the live ones (before the tables
    /// change), and those that then clear the bits no longer wanted (after): changed slots only.
    func changes(from live: [UInt32: UInt32]) -> (sets: [(UInt32, UInt32)], clears: [(UInt32, UInt32)]) {
        var sets: [(UInt32, UInt32)] = [], clears: [(UInt32, UInt32)] = []
        for slot in Set(live.keys).union(slots.keys).sorted() {
            let before = live[slot] ?? 0, wanted = slots[slot] ?? 0
            let union = before | wanted
            if union != before { sets.append((slot, union)) }
            if wanted != union { clears.append((slot, wanted)) }
        }
        return (sets, clears)
    }
}
