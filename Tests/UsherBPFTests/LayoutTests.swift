import CLibBPF
import CUsherABI
import Testing
@testable import UsherBPF

/// Swift reads and writes the maps with the structs it imports from abi.h; the XDP program
/// uses the same header compiled by clang for BPF. Both must agree byte for byte, so every
/// struct's size and every member's offset in Swift is compared with the object's BTF.
@Suite("ABI layout")
struct LayoutTests {
    /// A struct of abi.h: its size and alignment stride in Swift, and each member's offset.
    struct Layout: CustomTestStringConvertible {
        var name: String
        var size: Int
        var stride: Int
        var offsets: [String: Int?]
        var testDescription: String { name }

        init<T>(_ name: String, _: T.Type, _ offsets: [String: PartialKeyPath<T>]) {
            self.name = name
            size = MemoryLayout<T>.size
            stride = MemoryLayout<T>.stride
            self.offsets = offsets.mapValues { MemoryLayout<T>.offset(of: $0) }
        }
    }

    static let layouts: [Layout] = [
        Layout("usher_vip_key", usher_vip_key.self, [
            "addr": \.addr, "port": \.port, "proto": \.proto, "family": \.family, "slot": \.slot, "pad": \.pad,
        ]),
        Layout("usher_generation", usher_generation.self, ["number": \.number, "pad": \.pad]),
        Layout("usher_service", usher_service.self, ["id": \.id, "mode": \.mode, "flags": \.flags, "snat_pool": \.snat_pool]),
        Layout("usher_service_entry", usher_service_entry.self, ["key": \.key, "svc": \.svc]),
        Layout("usher_real", usher_real.self, [
            "addr": \.addr, "family": \.family, "flags": \.flags, "dst_mac": \.dst_mac, "src_mac": \.src_mac,
            "service_id": \.service_id, "ifindex": \.ifindex, "port": \.port, "pad": \.pad,
        ]),
        Layout("usher_flow_key", usher_flow_key.self, [
            "src": \.src, "dst": \.dst, "sport": \.sport, "dport": \.dport, "proto": \.proto, "family": \.family, "pad": \.pad,
        ]),
        Layout("usher_ct_set", usher_ct_set.self, ["tag": \.tag, "seen": \.seen]),
        Layout("usher_ct_way", usher_ct_way.self, [
            "key": \.key, "real_id": \.real_id, "service_id": \.service_id, "last_seen_ns": \.last_seen_ns, "check": \.check,
            "pad": \.pad,
        ]),
        Layout("usher_global", usher_global.self, [
            "encap_src4": \.encap_src4, "encap_src4_hostmask": \.encap_src4_hostmask, "encap_src6": \.encap_src6,
            "encap_src6_hostmask": \.encap_src6_hostmask, "flags": \.flags, "nr_cpus": \.nr_cpus,
            "nat_tcp_idle_s": \.nat_tcp_idle_s, "nat_tcp_closed_s": \.nat_tcp_closed_s, "nat_udp_idle_s": \.nat_udp_idle_s,
        ]),
        Layout("usher_snat_pool", usher_snat_pool.self, [
            "addrs": \.addrs, "port_min": \.port_min, "port_max": \.port_max, "count": \.count, "family": \.family, "pad": \.pad,
        ]),
        Layout("usher_nat_flow", usher_nat_flow.self, [
            "snat_addr": \.snat_addr, "last_seen_ns": \.last_seen_ns, "real_id": \.real_id, "service_id": \.service_id,
            "snat_port": \.snat_port, "real_port": \.real_port, "state": \.state, "pad": \.pad,
        ]),
        Layout("usher_nat_reply", usher_nat_reply.self, [
            "client": \.client, "last_seen_ns": \.last_seen_ns, "real_id": \.real_id, "service_id": \.service_id,
            "ifindex": \.ifindex, "client_mac": \.client_mac, "local_mac": \.local_mac, "state": \.state, "pad": \.pad,
        ]),
        Layout("usher_counter", usher_counter.self, ["packets": \.packets, "bytes": \.bytes]),
        Layout("usher_service_stats", usher_service_stats.self, [
            "packets": \.packets, "bytes": \.bytes, "new_flows": \.new_flows, "no_real": \.no_real,
            "nat_exhausted": \.nat_exhausted, "reply_packets": \.reply_packets, "reply_bytes": \.reply_bytes, "pad": \.pad,
        ]),
        Layout("usher_real_stats", usher_real_stats.self, [
            "packets": \.packets, "bytes": \.bytes, "new_flows": \.new_flows, "pad": \.pad,
        ]),
    ]

    @Test("Swift's layout of each abi.h struct equals the BTF of the compiled usher_xdp object", arguments: layouts)
    func matchesBTF(_ layout: Layout) throws {
        // Opening (without loading) parses the ELF and its BTF; no privileges needed.
        let object = try BPFObject(embedded: "usher_xdp", pinRoot: nil, programs: [])
        let btf = try #require(bpf_object__btf(object.pointer), "usher_xdp was built without BTF (-g)")
        let typeID = btf__find_by_name_kind(btf, layout.name, UInt32(BTF_KIND_STRUCT))
        try #require(typeID > 0, "struct \(layout.name) is not in the object's BTF: is it used by a map?")
        let type = try #require(btf__type_by_id(btf, UInt32(typeID)))

        #expect(Int(type.pointee.size) == layout.size, "size of \(layout.name)")
        #expect(layout.stride == layout.size, "\(layout.name) has tail padding Swift would not write")

        var btfOffsets: [String: Int] = [:]
        let members = btf_members(type)!
        for index in 0..<Int(btf_vlen(type)) {
            let name = String(cString: btf__name_by_offset(btf, members[index].name_off))
            let bits = btf_member_bit_offset(type, UInt32(index))
            #expect(bits % 8 == 0, "\(layout.name).\(name) is a bitfield; abi.h has none")
            btfOffsets[name] = Int(bits / 8)
        }
        #expect(Set(btfOffsets.keys) == Set(layout.offsets.keys), "members of \(layout.name) (update this test with abi.h)")
        for (name, offset) in layout.offsets {
            #expect(offset == btfOffsets[name], "offset of \(layout.name).\(name)")
        }
    }
}
