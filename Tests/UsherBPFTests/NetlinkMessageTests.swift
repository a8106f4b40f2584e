import CNetlink
import Foundation
import Testing
@testable import UsherBPF
import UsherCore

/// NetlinkMessage on bytes laid out as the kernel lays them out: what a request puts on the
/// wire, and that a length which does not fit ends the parse instead of being trusted.
@Suite("Netlink messages")
struct NetlinkMessageTests {
    @Test("a route request is the header, the rtmsg and a padded RTA_DST, and splits back into the same message")
    func requestRoundTrip() throws {
        var header = rtmsg()
        header.rtm_family = UInt8(AF_INET)
        header.rtm_dst_len = 32
        var request = NetlinkMessage.request(type: Int32(RTM_GETROUTE), header: header,
                                             attributes: [(UInt16(RTA_DST.rawValue), [198, 51, 100, 2])])
        request.sequence = 7
        let bytes = request.encoded
        #expect(bytes.count == 16 + 12 + 8)
        #expect(Array(bytes[0 ..< 4]) == [36, 0, 0, 0], "nlmsg_len counts everything")
        #expect(Array(bytes[28 ..< 36]) == [8, 0, UInt8(RTA_DST.rawValue), 0, 198, 51, 100, 2])
        let back = try #require(NetlinkMessage.split(bytes[...])?.first)
        #expect(back.type == UInt16(RTM_GETROUTE) && back.sequence == 7 && back.flags == UInt16(NLM_F_REQUEST))
        #expect(back.header(as: rtmsg.self)?.rtm_dst_len == 32)
        #expect(back.attributes(after: rtmsg.self)[UInt16(RTA_DST.rawValue)] == [198, 51, 100, 2])
    }

    @Test("a message length beyond the datagram, or below a header, makes the datagram malformed")
    func badMessageLength() {
        var bytes = NetlinkMessage(type: UInt16(RTM_NEWROUTE), flags: 0, payload: [UInt8](repeating: 0, count: 12)).encoded
        bytes[0] = 200
        #expect(NetlinkMessage.split(bytes[...]) == nil)
        bytes[0] = 4
        #expect(NetlinkMessage.split(bytes[...]) == nil)
    }

    @Test("attributes stop at one whose length does not fit; later ones are not read from beyond it")
    func badAttributeLength() {
        let good: [UInt8] = [8, 0, 1, 0, 1, 2, 3, 4]
        let bad: [UInt8] = [40, 0, 2, 0, 9, 9, 9, 9]
        let parsed = NetlinkMessage.attributes(in: (good + bad)[...])
        #expect(parsed == [1: [1, 2, 3, 4]])
        #expect(NetlinkMessage.attributes(in: [3, 0, 1, 0][...]).isEmpty, "a length under the 4-byte header")
    }

    @Test("a neighbour message decodes its address, MAC and state; a bridge entry is not a neighbour")
    func neighbourRecord() throws {
        var header = ndmsg()
        header.ndm_family = UInt8(AF_INET6)
        header.ndm_ifindex = 5
        header.ndm_state = UInt16(NUD_STALE)
        let address = try #require(IPAddress("2001:db8:1::2"))
        let message = NetlinkMessage.request(type: Int32(RTM_NEWNEIGH), header: header, attributes: [
            (UInt16(NDA_DST), address.bytes), (UInt16(NDA_LLADDR), [2, 0, 0, 0, 0x77, 1]),
        ])
        let record = try #require(NeighbourRecord(message))
        #expect(record.address == address && record.ifindex == 5 && record.stateName == "STALE")
        #expect(record.usableMAC == MACAddress("02:00:00:00:77:01"))
        header.ndm_state = UInt16(NUD_INCOMPLETE | NUD_FAILED)
        let failed = NetlinkMessage.request(type: Int32(RTM_NEWNEIGH), header: header, attributes: [(UInt16(NDA_DST), address.bytes)])
        #expect(NeighbourRecord(failed)?.usableMAC == nil && NeighbourRecord(failed)?.stateName == "INCOMPLETE,FAILED")
        header.ndm_family = UInt8(AF_BRIDGE)
        #expect(NeighbourRecord(NetlinkMessage.request(type: Int32(RTM_NEWNEIGH), header: header)) == nil)
    }

    @Test("a kernel error becomes a BPFError with its errno and the kernel's own text")
    func kernelError() throws {
        var error = nlmsgerr()
        error.error = -ENETUNREACH
        let text = Array("Nexthop has invalid gateway".utf8) + [0]
        var message = NetlinkMessage.request(type: NLMSG_ERROR, flags: Int32(NLM_F_ACK_TLVS), header: error,
                                             attributes: [(UInt16(NLMSGERR_ATTR_MSG.rawValue), text)])
        message.sequence = 1
        let thrown = #expect(throws: BPFError.self) {
            try NetlinkSocket.check(message, what: "RTM_GETROUTE", subject: "real 198.51.100.2")
        }
        #expect(thrown?.errno == ENETUNREACH && thrown?.subject == "real 198.51.100.2")
        #expect(thrown?.message == "the kernel said: Nexthop has invalid gateway")
        error.error = 0
        try NetlinkSocket.check(NetlinkMessage.request(type: NLMSG_ERROR, header: error), what: "ack", subject: "x")
    }
}
