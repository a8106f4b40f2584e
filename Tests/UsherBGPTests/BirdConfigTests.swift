import Foundation
import Testing
import UsherCore
import UsherHealth
@testable import UsherBGP

/// bird.conf as rendered from `bgp:`: the exact text, and BIRD 2's own parser (`bird -p`)
/// accepting it with and without BFD, for both families and for nothing to announce.
@Suite struct BirdConfigTests {
    static let settings = BGPSettings(
        localAS: 65001, routerID: IPAddress("192.0.2.11")!,
        neighbors: [BGPNeighbor(address: IPAddress("192.0.2.1")!, remoteAS: 65000),
                    BGPNeighbor(address: IPAddress("2001:db8::1")!, remoteAS: 65000)])

    @Test func theTextForTwoFamilies() {
        let text = BirdConfig.render(Self.settings, announce: [IPAddress("203.0.113.10")!, IPAddress("2001:db8:10::10")!])
        #expect(text == """
        # Rendered by usher from the bgp: section of its config. Do not edit: the daemon rewrites
        # it and runs `birdc configure` whenever the VIPs it announces change.
        router id 192.0.2.11;
        # Dates and times in full, for the daemon's reading of `show protocols`.
        timeformat protocol iso long;

        protocol device {
        }

        protocol bfd usher_bfd {
          interface "*" {
            min rx interval 100 ms;
            min tx interval 100 ms;
            multiplier 3;
          };
        }

        protocol static usher_vips4 {
          ipv4;
          route 203.0.113.10/32 blackhole;
        }

        protocol static usher_vips6 {
          ipv6;
          route 2001:db8:10::10/128 blackhole;
        }

        protocol bgp usher_peer1 {
          local as 65001;
          neighbor 192.0.2.1 as 65000;
          hold time 3;
          connect retry time 1;
          error wait time 1, 10;
          bfd on;
          ipv4 {
            import none;
            export where proto = "usher_vips4";
            next hop self;
          };
        }

        protocol bgp usher_peer2 {
          local as 65001;
          neighbor 2001:db8::1 as 65000;
          hold time 3;
          connect retry time 1;
          error wait time 1, 10;
          bfd on;
          ipv6 {
            import none;
            export where proto = "usher_vips6";
            next hop self;
          };
        }

        """)
    }

    @Test func withoutBFDAndWithANextHop() {
        var settings = Self.settings
        settings.bfd = false
        settings.nextHop = IPAddress("192.0.2.21")
        let text = BirdConfig.render(settings, announce: [])
        #expect(!text.contains("bfd"))
        #expect(text.contains("    next hop address 192.0.2.21;\n"))
        // The IPv6 session keeps its own address: the next hop is IPv4.
        #expect(text.components(separatedBy: "next hop self;").count == 2)
        #expect(text.contains("protocol static usher_vips4 {\n  ipv4;\n}\n"))
    }

    @Test(arguments: [true, false])
    func birdAcceptsIt(bfd: Bool) throws {
        var settings = Self.settings
        settings.bfd = bfd
        for vips in [[], [IPAddress("203.0.113.10")!, IPAddress("203.0.113.11")!, IPAddress("2001:db8:10::10")!]] {
            let path = NSTemporaryDirectory() + "usher-bird-\(UUID().uuidString).conf"
            defer { unlink(path) }
            try BGPService.replace(path, with: BirdConfig.render(settings, announce: vips))
            let exit = try ChildProcess.run(path: BirdProcess.defaultBird, arguments: ["-p", "-c", path], timeout: 10)
            #expect(exit == .exited(0), "bird -p refused the config for \(vips)")
        }
    }

    @Test func birdRefusesABrokenFile() throws {
        // The check above can fail: bird -p exits non-zero on a config it cannot parse.
        let path = NSTemporaryDirectory() + "usher-bird-\(UUID().uuidString).conf"
        defer { unlink(path) }
        try BGPService.replace(path, with: BirdConfig.render(Self.settings, announce: []) + "protocol bgp {\n")
        let exit = try ChildProcess.run(path: BirdProcess.defaultBird, arguments: ["-p", "-c", path], timeout: 10)
        #expect(exit != .exited(0))
    }
}
