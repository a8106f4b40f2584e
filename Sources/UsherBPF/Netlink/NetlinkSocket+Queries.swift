import CNetlink
import Foundation
import UsherCore

/// The three questions the control plane asks the kernel about a next hop, in IPv4 and IPv6.
/// Kernel errors come back as `BPFError` with their errno (ENETUNREACH for no route, ENOENT
/// for no neighbour entry, ENODEV for no interface), for the caller to word.
extension NetlinkSocket {
    /// The route the kernel would use to send to `address` (`ip route get`), RTM_GETROUTE.
    func route(to address: IPAddress, subject: String) throws -> RouteRecord {
        var header = rtmsg()
        header.rtm_family = UInt8(address.isV4 ? AF_INET : AF_INET6)
        header.rtm_dst_len = UInt8(address.bytes.count * 8)
        let request = NetlinkMessage.request(type: Int32(RTM_GETROUTE), header: header,
                                             attributes: [(UInt16(RTA_DST.rawValue), address.bytes)])
        let answer = try self.request(request, what: "RTM_GETROUTE", subject: subject)
        guard let message = answer.first(where: { $0.type == UInt16(RTM_NEWROUTE) }), let route = RouteRecord(message) else {
            throw BPFError(call: "netlink RTM_GETROUTE", subject: subject, message: "the kernel answered without a route")
        }
        return route
    }

    /// The neighbour entry of `address` on interface `ifindex` (`ip neigh get`), RTM_GETNEIGH;
    /// nil when there is none.
    func neighbour(of address: IPAddress, ifindex: UInt32, subject: String) throws -> NeighbourRecord? {
        var header = ndmsg()
        header.ndm_family = UInt8(address.isV4 ? AF_INET : AF_INET6)
        header.ndm_ifindex = Int32(bitPattern: ifindex)
        let request = NetlinkMessage.request(type: Int32(RTM_GETNEIGH), header: header,
                                             attributes: [(UInt16(NDA_DST), address.bytes)])
        do {
            let answer = try self.request(request, what: "RTM_GETNEIGH", subject: subject)
            return answer.lazy.filter { $0.type == UInt16(RTM_NEWNEIGH) }.compactMap(NeighbourRecord.init).first
        } catch let error as BPFError where error.errno == ENOENT {
            return nil
        }
    }

    /// The interface with index `ifindex` (`ip link show`), RTM_GETLINK.
    func link(_ ifindex: UInt32, subject: String) throws -> LinkRecord {
        var header = ifinfomsg()
        header.ifi_family = UInt8(AF_UNSPEC)
        header.ifi_index = Int32(bitPattern: ifindex)
        let answer = try self.request(NetlinkMessage.request(type: Int32(RTM_GETLINK), header: header),
                                      what: "RTM_GETLINK", subject: subject)
        guard let message = answer.first(where: { $0.type == UInt16(RTM_NEWLINK) }), let link = LinkRecord(message) else {
            throw BPFError(call: "netlink RTM_GETLINK", subject: subject, message: "the kernel answered without the interface")
        }
        return link
    }
}
