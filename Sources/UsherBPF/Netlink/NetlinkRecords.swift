import CNetlink
import Foundation
import UsherCore

/// A route as the kernel reports it (RTM_NEWROUTE/RTM_DELROUTE): the answer to a route lookup,
/// or a route added or removed.
struct RouteRecord: Hashable {
    var destination: IPAddress?
    var prefixLength: UInt8
    /// RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE, …
    var type: UInt8
    var outputIndex: UInt32?
    var gateway: IPAddress?

    init?(_ message: NetlinkMessage) {
        guard let header = message.header(as: rtmsg.self) else { return nil }
        let attributes = message.attributes(after: rtmsg.self)
        prefixLength = header.rtm_dst_len
        type = header.rtm_type
        destination = attributes[UInt16(RTA_DST.rawValue)].flatMap(IPAddress.init(bytes:))
        outputIndex = attributes[UInt16(RTA_OIF.rawValue)].flatMap(Self.u32)
        gateway = attributes[UInt16(RTA_GATEWAY.rawValue)].flatMap(IPAddress.init(bytes:))
        if gateway == nil, let via = attributes[UInt16(RTA_VIA.rawValue)], via.count > 2 {
            gateway = IPAddress(bytes: Array(via.dropFirst(2))) // struct rtvia: family, then the address
        }
    }

    var typeName: String {
        switch Int(type) {
        case Int(RTN_UNICAST): return "unicast"
        case Int(RTN_LOCAL): return "local"
        case Int(RTN_BROADCAST): return "broadcast"
        case Int(RTN_MULTICAST): return "multicast"
        case Int(RTN_BLACKHOLE): return "blackhole"
        case Int(RTN_UNREACHABLE): return "unreachable"
        case Int(RTN_PROHIBIT): return "prohibit"
        case Int(RTN_THROW): return "throw"
        default: return "type \(type)"
        }
    }

    static func u32(_ bytes: [UInt8]) -> UInt32? {
        bytes.count == 4 ? bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } : nil
    }
}

/// A neighbour entry (RTM_NEWNEIGH/RTM_DELNEIGH) of an IPv4 or IPv6 address on an interface.
struct NeighbourRecord: Hashable {
    var address: IPAddress
    var ifindex: UInt32
    /// NUD_* bits.
    var state: UInt16
    var linkAddress: MACAddress?

    /// Nil for what is not an IP neighbour (e.g. a bridge's forwarding entries, AF_BRIDGE).
    init?(_ message: NetlinkMessage) {
        guard let header = message.header(as: ndmsg.self),
              header.ndm_family == UInt8(AF_INET) || header.ndm_family == UInt8(AF_INET6) else { return nil }
        let attributes = message.attributes(after: ndmsg.self)
        guard let address = attributes[UInt16(NDA_DST)].flatMap(IPAddress.init(bytes:)) else { return nil }
        self.address = address
        ifindex = UInt32(bitPattern: header.ndm_ifindex)
        state = header.ndm_state
        linkAddress = attributes[UInt16(NDA_LLADDR)].flatMap(MACAddress.init(bytes:))
    }

    /// The states in which the kernel sends to the entry's link address (as `ip neigh` lists them).
    static let usableStates = UInt16(NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_NOARP | NUD_PERMANENT)

    /// The MAC to send to, if the entry is in a usable state and has a nonzero one.
    var usableMAC: MACAddress? {
        guard state & Self.usableStates != 0, let mac = linkAddress, !mac.isZero else { return nil }
        return mac
    }

    /// The state as `ip neigh` prints it, e.g. "REACHABLE" or "INCOMPLETE".
    var stateName: String {
        let names: [(Int32, String)] = [
            (NUD_INCOMPLETE, "INCOMPLETE"), (NUD_REACHABLE, "REACHABLE"), (NUD_STALE, "STALE"), (NUD_DELAY, "DELAY"),
            (NUD_PROBE, "PROBE"), (NUD_FAILED, "FAILED"), (NUD_NOARP, "NOARP"), (NUD_PERMANENT, "PERMANENT"),
        ]
        let set = names.filter { state & UInt16($0.0) != 0 }.map(\.1)
        return set.isEmpty ? "NONE" : set.joined(separator: ",")
    }
}

/// A network interface (RTM_NEWLINK/RTM_DELLINK): its index, name and hardware address.
struct LinkRecord: Hashable {
    var index: UInt32
    var name: String
    /// The interface's own address if it is a 6-byte (Ethernet) one.
    var mac: MACAddress?
    /// ARPHRD_*.
    var hardwareType: UInt16

    static let loopbackType: UInt16 = 772 // ARPHRD_LOOPBACK

    init?(_ message: NetlinkMessage) {
        guard let header = message.header(as: ifinfomsg.self) else { return nil }
        let attributes = message.attributes(after: ifinfomsg.self)
        index = UInt32(bitPattern: header.ifi_index)
        hardwareType = header.ifi_type
        name = attributes[UInt16(IFLA_IFNAME)].map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } ?? "ifindex \(index)"
        mac = attributes[UInt16(IFLA_ADDRESS)].flatMap(MACAddress.init(bytes:))
    }
}
