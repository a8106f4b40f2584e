import CUsherABI
import Foundation
import Testing
@testable import UsherBPF
import UsherCore
import UsherTestSupport

/// `apply` of nat and gateway services against real maps: SNAT pools, real ports, the address
/// filter and the NAT knobs, read back from the kernel.
@Suite("Apply NAT", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct ApplyNATTests {
    static let vip = ip("203.0.113.20"), vip6 = ip("2001:db8:1::20")
    static let realA = ip("198.51.100.11"), realB = ip("198.51.100.12"), real6 = ip("2001:db8:2::11")
    static let snatA = ip("198.51.100.3"), snatB = ip("198.51.100.4"), snat6 = ip("2001:db8:2::3")

    /// app (nat, pool lb, reals on 8080 and the client's port), gw (gateway, every port),
    /// app6 (nat over IPv6), site (https), web (dsr-l2); a pool nobody uses.
    static func config() -> BalancerConfig {
        let macA = mac("02:00:00:00:00:11"), macB = mac("02:00:00:00:00:12")
        return BalancerConfig(
            services: [
                VirtualService(name: "app", vip: vip, port: 80, proto: .tcp, mode: .nat, maglevTableSize: 7,
                               reals: [RealServer(address: realA, mac: macA, port: 8080), RealServer(address: realB, mac: macB)],
                               snatPool: "lb"),
                VirtualService(name: "gw", vip: ip("203.0.113.21"), port: 0, proto: .udp, mode: .gateway, maglevTableSize: 7,
                               reals: [RealServer(address: realB, mac: macB, port: 5353)]),
                VirtualService(name: "app6", vip: vip6, port: 80, proto: .tcp, mode: .nat, maglevTableSize: 7,
                               reals: [RealServer(address: real6, mac: macA)], snatPool: "lb6"),
                VirtualService(name: "site", vip: ip("203.0.113.22"), port: 443, proto: .tcp, mode: .https,
                               reals: [RealServer(address: ip("192.0.2.50"))]),
                VirtualService(name: "web", vip: vip, port: 443, proto: .tcp, mode: .dsrL2, maglevTableSize: 7,
                               reals: [RealServer(address: realA, mac: macA)]),
            ],
            snatPools: [SNATPool(name: "lb", addresses: [snatA, snatB], ports: PortRange(lower: 2000, upper: 2999)),
                        SNATPool(name: "lb6", addresses: [snat6]),
                        SNATPool(name: "spare", addresses: [ip("198.51.100.9")])],
            nat: NATSettings(tcpIdleSeconds: 600, tcpClosedSeconds: 30, udpIdleSeconds: 20))
    }

    /// The slot of an address, written out from abi.h's definition: the little-endian 32-bit
    /// words of the address XORed, times 0x9E3779B1 modulo 2^32, the top 16 bits.
    static func slot(_ address: IPAddress) -> UInt32 {
        let words = address.bytes.withUnsafeBytes { raw in
            (0..<raw.count / 4).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
        }
        let folded = words.reduce(0, ^)
        return UInt32((UInt64(folded) * 0x9E37_79B1) & 0xFFFF_FFFF) >> 16
    }

    static func filter(_ pairs: [(IPAddress, Int32)]) -> [UInt32: UInt32] {
        var out: [UInt32: UInt32] = [:]
        for (address, flag) in pairs { out[slot(address), default: 0] |= UInt32(flag) }
        return out
    }

    static func liveFilter(_ dp: Dataplane) throws -> [UInt32: UInt32] {
        let slots = try dp.maps.addresses.arrayEntries(as: UInt32.self, count: Int(USHER_ADDR_SLOTS))
        var out: [UInt32: UInt32] = [:]
        for (slot, value) in slots.enumerated() where value != 0 { out[UInt32(slot)] = value }
        return out
    }

    /// Possible CPUs as /sys says (0-N).
    static func possibleCPUs() throws -> UInt32 {
        let text = try String(contentsOfFile: "/sys/devices/system/cpu/possible", encoding: .utf8)
        let last = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").last!.split(separator: "-").last!
        return UInt32(last)! + 1
    }

    @Test("nat and gateway services write their pools, ports, filter slots and knobs; removing them clears each")
    func writeThenRemove() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let state = try dp.apply(Self.config(), previous: nil, resolver: FixedResolver())

        // Pools used by nat services only, in order, by stable id.
        #expect(state.snatPools.map(\.name) == ["lb", "lb6"])
        let lbID = try #require(state.snatPools.first { $0.name == "lb" }?.id)
        let lb6ID = try #require(state.snatPools.first { $0.name == "lb6" }?.id)
        let lb = try #require(try dp.maps.snatPools.lookup(lbID, as: usher_snat_pool.self))
        #expect(lb.count == 2 && lb.family == 4 && lb.port_min == 2000 && lb.port_max == 2999)
        #expect(Array(getBytes(lb.addrs).prefix(32)) == Self.snatA.paddedBytes + Self.snatB.paddedBytes)
        #expect(getBytes(lb.addrs).dropFirst(32).allSatisfy { $0 == 0 })
        let lb6 = try #require(try dp.maps.snatPools.lookup(lb6ID, as: usher_snat_pool.self))
        #expect(lb6.count == 1 && lb6.family == 6 && lb6.port_min == 1024 && lb6.port_max == 65535)
        #expect(try dp.maps.snatPools.entries(as: (UInt32, usher_snat_pool).self).count == 2, "the unused pool is not written")

        // Services name their pool; reals carry their port (network order), 0 = the client's.
        let keys = Dictionary(uniqueKeysWithValues: state.services.map { ($0.name, $0.key) })
        let app = try #require(try dp.maps.runningService(keys["app"]!.abi))
        #expect(app.mode == UInt8(USHER_MODE_NAT) && app.snat_pool == UInt16(lbID))
        let app6 = try #require(try dp.maps.runningService(keys["app6"]!.abi))
        #expect(app6.snat_pool == UInt16(lb6ID))
        let gw = try #require(try dp.maps.runningService(keys["gw"]!.abi))
        #expect(gw.mode == UInt8(USHER_MODE_GATEWAY) && gw.snat_pool == 0)
        func real(_ service: String, _ address: IPAddress) throws -> usher_real {
            let id = try #require(state.realID(service: keys[service]!, address: address))
            return try #require(try dp.maps.runningReal(id))
        }
        #expect(try real("app", Self.realA).port == UInt16(8080).bigEndian)
        #expect(try real("app", Self.realB).port == 0)
        #expect(try real("gw", Self.realB).port == UInt16(5353).bigEndian)
        #expect(try real("web", Self.realA).port == 0, "dsr reals answer from the VIP's port")

        // The filter: VIPs by kind (and dsr), the used pools' addresses, the gateway's reals; nothing else.
        let wanted = Self.filter([
            (Self.vip, USHER_ADDR_F_VIP_PORT), (ip("203.0.113.21"), USHER_ADDR_F_VIP_ALL), (Self.vip6, USHER_ADDR_F_VIP_PORT),
            (ip("203.0.113.22"), USHER_ADDR_F_VIP_PORT), (Self.snatA, USHER_ADDR_F_SNAT), (Self.snatB, USHER_ADDR_F_SNAT),
            (Self.snat6, USHER_ADDR_F_SNAT), (Self.realB, USHER_ADDR_F_GW_REAL), (Self.vip, USHER_ADDR_F_DSR),
        ])
        #expect(try Self.liveFilter(dp) == wanted)

        // Knobs.
        let global = try #require(try dp.maps.global.lookup(UInt32(0), as: usher_global.self))
        #expect(global.nr_cpus == (try Self.possibleCPUs()))
        #expect(global.nat_tcp_idle_s == 600 && global.nat_tcp_closed_s == 30 && global.nat_udp_idle_s == 20)
        #expect(global.flags & UInt32(USHER_GLOBAL_F_NAT) != 0)
        let dump = try dp.dump()
        #expect(dump.addressFilter.snat == 3 && dump.addressFilter.gatewayReal == 1)
        #expect(dump.global.natTCPIdleSeconds == 600 && dump.global.nrCPUs == global.nr_cpus)

        // The same config again writes nothing new; its pool ids hold.
        let again = try dp.apply(Self.config(), previous: state, resolver: FixedResolver())
        #expect(again.snatPools == state.snatPools)

        // Only the dsr and https services left: pools, NAT bits and the flag go; VIP bits stay.
        var plain = Self.config()
        plain.services.removeAll { $0.mode.isNAT }
        let third = try dp.apply(plain, previous: again, resolver: FixedResolver())
        #expect(third.snatPools.isEmpty)
        #expect(try dp.maps.snatPools.entries(as: (UInt32, usher_snat_pool).self).isEmpty)
        #expect(try Self.liveFilter(dp) == Self.filter([(Self.vip, USHER_ADDR_F_VIP_PORT), (Self.vip, USHER_ADDR_F_DSR),
                                                         (ip("203.0.113.22"), USHER_ADDR_F_VIP_PORT)]))
        let after = try #require(try dp.maps.global.lookup(UInt32(0), as: usher_global.self))
        #expect(after.flags & UInt32(USHER_GLOBAL_F_NAT) == 0)
    }

    @Test("pool ids are stable: a pool keeps its id while others come and go, and a new pool takes the lowest free one")
    func stablePoolIDs() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let first = try dp.apply(Self.config(), previous: nil, resolver: FixedResolver())
        let lb6ID = try #require(first.snatPools.first { $0.name == "lb6" }?.id)

        // app leaves: lb is unused and removed; lb6 keeps its id (its service's entry is unchanged).
        var fewer = Self.config()
        fewer.services.removeAll { $0.name == "app" }
        let second = try dp.apply(fewer, previous: first, resolver: FixedResolver())
        #expect(second.snatPools == [.init(name: "lb6", id: lb6ID)])

        // app comes back using "spare": it takes the lowest id not in use.
        var other = Self.config()
        other.services[0].snatPool = "spare"
        let third = try dp.apply(other, previous: second, resolver: FixedResolver())
        #expect(third.snatPools.first { $0.name == "lb6" }?.id == lb6ID)
        let spareID = try #require(third.snatPools.first { $0.name == "spare" }?.id)
        #expect(spareID == (0...).first { $0 != lb6ID })
        let app = try #require(try dp.maps.runningService(third.services.first { $0.name == "app" }!.key.abi))
        #expect(app.snat_pool == UInt16(spareID))

        // Without the recorded state, pools are recognised by their content.
        let fourth = try dp.apply(other, previous: nil, resolver: FixedResolver())
        #expect(fourth.snatPools == third.snatPools)
    }

    @Test("a failed apply (a nat service whose real cannot be resolved) leaves every map, NAT ones included, as it was")
    func failureChangesNothing() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        _ = try dp.apply(Self.config(), previous: nil, resolver: FixedResolver())
        let before = try dp.dump()
        let filterBefore = try Self.liveFilter(dp)
        let globalBefore = try #require(try dp.maps.global.lookup(UInt32(0), as: usher_global.self))

        // New pool addresses, a new gateway real, other timeouts, no more app6 — and one real nobody can resolve.
        var broken = Self.config()
        broken.snatPools[0].addresses = [ip("198.51.100.5")]
        broken.services[1].reals.append(RealServer(address: ip("198.51.100.99")))
        broken.services.removeAll { $0.name == "app6" }
        broken.nat = NATSettings(tcpIdleSeconds: 1, tcpClosedSeconds: 1, udpIdleSeconds: 1)
        let error = #expect(throws: BPFError.self) { try dp.apply(broken, previous: nil, resolver: FixedResolver()) }
        #expect(error?.subject.contains("198.51.100.99") == true)

        #expect(try dp.dump() == before)
        #expect(try Self.liveFilter(dp) == filterBefore)
        #expect(try dp.maps.global.lookup(UInt32(0), as: usher_global.self).map { getBytes($0) } == getBytes(globalBefore))
    }

    @Test("what the data plane cannot translate is refused before anything is written, saying what to change")
    func refusals() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        var noPool = Self.config()
        noPool.services[0].snatPool = "missing"
        var mixed = Self.config()
        mixed.services[0].reals.append(RealServer(address: Self.real6, mac: mac("02:00:00:00:00:13")))
        var wrongFamily = Self.config()
        wrongFamily.services[0].snatPool = "lb6"
        for (config, words) in [(noPool, "missing is not defined"), (mixed, "translates within the VIP's family"),
                                (wrongFamily, "is IPv6 but the VIP is IPv4")] {
            let error = #expect(throws: BPFError.self) { try dp.apply(config, previous: nil, resolver: FixedResolver()) }
            #expect(error?.description.contains(words) == true, "\(String(describing: error))")
        }
        #expect(try dp.dump().vips.isEmpty && Self.liveFilter(dp).isEmpty)
    }
}
