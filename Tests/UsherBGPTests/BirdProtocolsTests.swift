import Foundation
import Logging
import Testing
import UsherCore
@testable import UsherBGP

/// bird's `show protocols` as the daemon reads it: the reply's lines parsed into rows, the rows
/// into each session's state and since when, errors named; and the control socket asked of a
/// real bird (no neighbour: nothing leaves the host).
@Suite struct BirdProtocolsTests {
    /// A reply as bird 2.0.12 writes it on its socket: one established session, one failing.
    static let reply = """
        2002-Name       Proto      Table      State  Since         Info
        1002-device1    Device     ---        up     2026-12-06 20:28:49  
         usher_bfd  BFD        ---        up     2026-12-06 20:28:49  
         usher_vips4 Static     master4    up     2026-12-06 20:28:49  
         usher_vips6 Static     master6    up     2026-12-06 20:28:49  
         usher_peer1 BGP        ---        up     2026-12-06 20:28:53  Established   
         usher_peer2 BGP        ---        start  2026-12-06 20:29:01  Active        Socket: Connection refused
        0000 

        """
    static let utc = TimeZone(identifier: "UTC")!

    @Test func rowsOfAReply() throws {
        let rows = try BirdProtocol.parse(Self.reply, timeZone: Self.utc)
        #expect(rows.map(\.name) == ["device1", "usher_bfd", "usher_vips4", "usher_vips6", "usher_peer1", "usher_peer2"])
        let peer2 = try #require(rows.last)
        #expect(peer2.proto == "BGP")
        #expect(peer2.state == "start")
        #expect(peer2.info == "Active Socket: Connection refused")
        #expect(peer2.since == Date(timeIntervalSince1970: 1_796_588_941)) // 2026-12-06T20:29:01Z
        #expect(rows[0].info == "")
    }

    @Test func sessionsAndVIPsOfTheSettings() throws {
        let settings = BGPSettings(localAS: 65001, routerID: IPAddress("192.0.2.11")!, neighbors: [
            BGPNeighbor(address: IPAddress("198.51.100.1")!, remoteAS: 65000),
            BGPNeighbor(address: IPAddress("198.51.100.9")!, remoteAS: 65002),
            BGPNeighbor(address: IPAddress("2001:db8::1")!, remoteAS: 65003),
        ])
        let rows = try BirdProtocol.parse(Self.reply, timeZone: Self.utc)
        let vip = IPAddress("203.0.113.22")!, other = IPAddress("203.0.113.20")!
        let status = BGPStatus(rows: rows, settings: settings, candidates: [vip, other], announced: [vip])
        #expect(status.sessions.map(\.state) == ["Established", "Active", "unknown"])
        #expect(status.sessions.map(\.established) == [true, false, false])
        #expect(status.sessions[0].since == Date(timeIntervalSince1970: 1_796_588_933))
        #expect(status.sessions[0].info == nil)
        #expect(status.sessions[1].info == "Socket: Connection refused")
        #expect(status.sessions[1].neighbor == "198.51.100.9" && status.sessions[1].remoteAS == 65002)
        #expect(status.sessions[2].info == "bird does not list usher_peer3")
        #expect(status.vips == [.init(vip: "203.0.113.22", announced: true), .init(vip: "203.0.113.20", announced: false)])

        let silent = BGPStatus(rows: nil, error: "bird does not answer", settings: settings, candidates: [vip], announced: [])
        #expect(silent.sessions.allSatisfy { $0.state == "unknown" && !$0.established && $0.info == "bird does not answer" })
        #expect(silent.error == "bird does not answer")
    }

    @Test func errorsAreNamed() {
        #expect(throws: BirdProtocol.ReplyError.self) { try BirdProtocol.parse("9001 There is no such protocol\n") }
        let refused = #expect(throws: BirdProtocol.ReplyError.self) { try BirdProtocol.parse("8003 Access denied\n") }
        #expect(refused?.description.contains("Access denied") == true)
        let foreign = #expect(throws: BirdProtocol.ReplyError.self) { try BirdProtocol.parse("HTTP/1.1 400 Bad Request\n") }
        #expect(foreign?.description.contains("not a reply of BIRD 2") == true)
    }

    @Test func theEndOfAReply() {
        #expect(BirdControlSocket.endsReply(Array("1002-x\n0000 \n".utf8)))
        #expect(!BirdControlSocket.endsReply(Array("1002-x\n 0000 \n".utf8)))
        #expect(!BirdControlSocket.endsReply(Array("1002-x\n0000 ".utf8)))
        #expect(!BirdControlSocket.endsReply(Array("1002-device1 Device\n".utf8)))
    }

    @Test func aRealBirdAnswersOnItsSocket() throws {
        let directory = NSTemporaryDirectory() + "usher-birdc-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let settings = BGPSettings(localAS: 65001, routerID: IPAddress("192.0.2.11")!, neighbors: [], bfd: false)
        let config = directory + "/bird.conf", socket = directory + "/bird.ctl"
        #expect(throws: BirdControlSocket.Failure.self) { try BirdControlSocket.ask("show protocols", socketPath: socket) }
        try BGPService.replace(config, with: BirdConfig.render(settings, announce: [IPAddress("203.0.113.10")!]))
        let bird = BirdProcess(configPath: config, socketPath: socket, logger: Logger(label: "test"))
        bird.start()
        defer { bird.stop() }
        let started = Date()
        var rows: [BirdProtocol] = []
        #expect(BirdProcessTests.eventually(5) {
            rows = (try? BirdProtocol.parse(BirdControlSocket.ask("show protocols", socketPath: socket))) ?? []
            return !rows.isEmpty
        })
        let vips = try #require(rows.first { $0.name == BirdConfig.staticV4 })
        #expect(vips.proto == "Static" && vips.state == "up")
        let since = try #require(vips.since)
        #expect(abs(since.timeIntervalSince(started)) < 10)
    }
}
