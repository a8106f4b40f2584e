import CUsherABI
import Foundation

/// What turning local ids into portable names and back needs, read from the tables: each
/// service's key by id and id by key, each present real by id and by (service, address,
/// configured port), and the interfaces by name and index. Built at most once a second by
/// `FlowTableSync` (an apply between two builds can only make a few flows unmapped for a second).
struct FlowSyncIndex {
    struct Service {
        var id: UInt32
        var mode: UInt8
        var key: usher_vip_key
    }

    struct RealName: Hashable {
        var service: UInt32
        var family: UInt8
        var address: [UInt8]
        var port: UInt16 // network order, as usher_real.port
    }

    private(set) var services: [UInt32: Service] = [:]
    private var serviceByKey: [[UInt8]: Service] = [:]
    private(set) var reals: [UInt32: usher_real] = [:]
    private var realByName: [RealName: UInt32] = [:]
    private var interfaceByName: [String: (index: UInt32, mac: [UInt8])?] = [:]
    private var nameByInterface: [UInt32: String?] = [:]
    let builtAt: UInt64

    init(_ dataplane: Dataplane, now: UInt64) throws {
        builtAt = now
        let slot = try dataplane.maps.runningGeneration() & 1
        for (key, service) in try dataplane.maps.vipEntries(slot: slot) {
            let entry = Service(id: service.id, mode: service.mode, key: key)
            services[service.id] = entry
            serviceByKey[getBytes(key)] = entry
        }
        let all = try dataplane.maps.realEntries(slot: slot)
        for (id, real) in all.enumerated() where real.flags & UInt8(USHER_REAL_F_PRESENT) != 0 {
            reals[UInt32(id)] = real
            realByName[RealName(service: UInt32(real.service_id), family: real.family, address: getBytes(real.addr),
                                port: real.port)] = UInt32(id)
        }
    }

    /// The service of a flow to `vip` (16 bytes) with the service key port `port` (host order).
    func service(vip: [UInt8], port: UInt16, proto: UInt8, family: UInt8) -> Service? {
        var key = zeroed(usher_vip_key.self)
        setBytes(&key.addr, vip)
        key.port = port.bigEndian
        key.proto = proto
        key.family = family
        return serviceByKey[getBytes(key)]
    }

    /// The id of the real `address` with configured `port` (host order) in service `service`.
    func realID(service: UInt32, family: UInt8, address: [UInt8], port: UInt16) -> UInt32? {
        realByName[RealName(service: service, family: family, address: address, port: port.bigEndian)]
    }

    /// The present real `id` of service `service`.
    func real(_ id: UInt32, of service: UInt32) -> usher_real? {
        guard let real = reals[id], UInt32(real.service_id) == service else { return nil }
        return real
    }

    /// The local interface named `name` and its MAC address (nil if there is none here).
    mutating func interface(named name: String) -> (index: UInt32, mac: [UInt8])? {
        if let known = interfaceByName[name] { return known }
        var found: (index: UInt32, mac: [UInt8])?
        let index = if_nametoindex(name)
        if index != 0, let socket = try? NetlinkSocket(), let link = try? socket.link(index, subject: "interface \(name)"),
           let mac = link.mac {
            found = (index, mac.bytes)
        }
        interfaceByName[name] = found
        return found
    }

    /// The name of local interface `index`.
    mutating func interfaceName(_ index: UInt32) -> String? {
        if let known = nameByInterface[index] { return known }
        var buffer = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        let name = if_indextoname(index, &buffer) != nil ? String(cString: buffer) : nil
        nameByInterface[index] = name
        return name
    }
}

/// A flow key as a dictionary key: its 40 bytes as five words.
struct FlowKeyID: Hashable {
    let words: (UInt64, UInt64, UInt64, UInt64, UInt64)

    init(_ key: usher_flow_key) {
        words = withUnsafeBytes(of: key) { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
             raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self),
             raw.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
        }
    }

    static func == (a: FlowKeyID, b: FlowKeyID) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
            && a.words.4 == b.words.4
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
        hasher.combine(words.4)
    }
}
