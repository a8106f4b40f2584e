import Foundation
import Testing
import UsherCore
import UsherHA
import UsherHealth

/// keepalived's config as rendered from `ha:`: the exact text, and that keepalived itself
/// accepts it (`keepalived --config-test`, Debian's binary).
@Suite struct KeepalivedConfigTests {
    static let yaml = """
        encapsulation: { source-v4: 198.51.100.64/26 }
        snat-pools: [{ name: lb-snat, addresses: [198.51.100.3] }]
        ha:
          interface: eth0
          virtual-router-id: 51
          peers: [198.51.100.2, 198.51.100.5]
          addresses: [198.51.100.6/25]
        services:
          - { name: web, vip: 203.0.113.10, port: 80, protocol: tcp, mode: dsr-l2, reals: [{ address: 198.51.100.11 }] }
          - { name: web-ipip, vip: 203.0.113.11, port: 80, protocol: tcp, mode: dsr-ipip, reals: [{ address: 198.51.100.11 }] }
          - { name: web-nat, vip: 203.0.113.12, port: 80, protocol: tcp, mode: nat, snat-pool: lb-snat, reals: [{ address: 198.51.100.11 }] }
          - { name: dns, vip: 203.0.113.10, port: 53, protocol: udp, mode: dsr-l2, reals: [{ address: 198.51.100.11 }] }
          - { name: web6, vip: '2001:db8:100::10', port: 80, protocol: tcp, mode: dsr-l2, reals: [{ address: '2001:db8:2::11' }] }

        """

    static func config(_ yaml: String = KeepalivedConfigTests.yaml) throws -> BalancerConfig {
        try ConfigLoader.parse(yaml: yaml, file: "/etc/usher/usher.yaml")
    }

    @Test func theExactFileOfTheFirstBalancer() throws {
        let text = try KeepalivedConfig.render(try Self.config(), localAddresses: [IPAddress("198.51.100.2")!],
                                               notifyFIFO: "/var/lib/usher/keepalived.fifo", source: "/etc/usher/usher.yaml")
        #expect(text == """
            # keepalived's config for usher's active/passive pair, rendered by `usher daemon` from
            # /etc/usher/usher.yaml (ha:). Do not edit: the daemon writes it again at every start and reload.
            global_defs {
                vrrp_version 3
                vrrp_notify_fifo /var/lib/usher/keepalived.fifo
                # Adverts every 100 ms must not wait behind a busy CPU, or the backup takes over
                # from a live master: the VRRP process runs with real-time scheduling.
                vrrp_rt_priority 50
            }

            vrrp_instance usher {
                state BACKUP
                nopreempt
                interface eth0
                virtual_router_id 51
                priority 100
                advert_int 0.10
                check_unicast_src
                unicast_peer {
                    198.51.100.5
                }
                virtual_ipaddress {
                    203.0.113.10/32 dev eth0
                    203.0.113.11/32 dev eth0
                    203.0.113.12/32 dev eth0
                    198.51.100.3/32 dev eth0
                    198.51.100.6/25 dev eth0
                }
                virtual_ipaddress_excluded {
                    2001:db8:100::10/128 dev eth0
                }
            }

            """)
    }

    @Test func theOtherBalancerAdvertisesToTheFirstFromTheSameFile() throws {
        let text = try KeepalivedConfig.render(try Self.config(), localAddresses: [IPAddress("198.51.100.5")!],
                                               notifyFIFO: "/f", source: "u")
        #expect(text.contains("    unicast_peer {\n        198.51.100.2\n    }\n"))
    }

    @Test func preemptionAndTheIntervalAreRendered() throws {
        let yaml = Self.yaml.replacingOccurrences(of: "  addresses: [198.51.100.6/25]",
                                                  with: "  preempt: true\n  priority: 200\n  advert-interval: 1.5s")
        let text = try KeepalivedConfig.render(try Self.config(yaml), localAddresses: [], notifyFIFO: "/f", source: "u")
        #expect(!text.contains("nopreempt"))
        #expect(text.contains("    priority 200\n"))
        #expect(text.contains("    advert_int 1.50\n"))
        #expect(text.contains("    unicast_peer {\n        198.51.100.2\n        198.51.100.5\n    }\n"))
    }

    @Test func onlyItsOwnAddressesAsPeersIsRefused() throws {
        let local: Set<IPAddress> = [IPAddress("198.51.100.2")!, IPAddress("198.51.100.5")!]
        #expect(throws: HAError.self) {
            try KeepalivedConfig.render(try Self.config(), localAddresses: local, notifyFIFO: "/f", source: "u")
        }
    }

    static let canRunKeepalived = geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/keepalived")

    @Test(.enabled(if: canRunKeepalived, "needs root (a network namespace) and keepalived (Tools/install-deps)"))
    func keepalivedAcceptsTheRenderedFile() throws {
        // keepalived checks that the interface exists (and is no loopback): an eth0 of its own,
        // one end of a veth pair in a namespace made for the test.
        let namespace = "usherha\(getpid())"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("usher-ha-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer {
            _ = try? ChildProcess.run(path: "/usr/sbin/ip", arguments: ["netns", "del", namespace], timeout: 10)
            try? FileManager.default.removeItem(atPath: directory)
        }
        for arguments in [["netns", "add", namespace], ["-n", namespace, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1"],
                          ["-n", namespace, "link", "set", "eth0", "up"]] {
            #expect(try ChildProcess.run(path: "/usr/sbin/ip", arguments: arguments, timeout: 10) == .exited(0), "ip \(arguments)")
        }
        func check(_ text: String, _ name: String) throws -> (ChildProcess.Exit, String) {
            try text.write(toFile: "\(directory)/\(name).conf", atomically: true, encoding: .utf8)
            let exit = try ChildProcess.run(
                path: "/usr/sbin/ip", arguments: ["netns", "exec", namespace, "/usr/sbin/keepalived", "--config-test",
                                                  "--use-file", "\(directory)/\(name).conf"],
                timeout: 10, output: "\(directory)/\(name).log")
            return (exit, (try? String(contentsOfFile: "\(directory)/\(name).log", encoding: .utf8)) ?? "")
        }
        let text = try KeepalivedConfig.render(try Self.config(), localAddresses: [IPAddress("198.51.100.2")!],
                                               notifyFIFO: "\(directory)/fifo", source: "u")
        let (accepted, said) = try check(text, "good")
        #expect(accepted == .exited(0), "keepalived said: \(said)")

        // And that the check can fail: an interface the namespace does not have.
        let (refused, _) = try check(text.replacingOccurrences(of: "eth0", with: "nosuch0"), "bad")
        #expect(refused != .exited(0))
    }

    @Test(arguments: [
        ("INSTANCE \"usher\" MASTER 100", HARole?.some(.master)),
        ("INSTANCE \"usher\" BACKUP 100", .backup),
        ("INSTANCE \"usher\" FAULT 0", .fault),
        ("INSTANCE \"usher\" STOP 100", .stopped),
        ("INSTANCE \"other\" MASTER 100", nil),
        ("GROUP \"usher\" MASTER", nil),
        ("INSTANCE \"usher\" DELETED", nil),
    ])
    func theRoleInANotifyLine(line: String, role: HARole?) {
        #expect(HARole(notifyLine: line, instance: "usher") == role)
    }
}
