import Foundation
import Testing
import UsherCore
@testable import UsherBenchKit

/// The generated configs are accepted by the real programs, each proxy then does the same job
/// (the reals' body over HTTP and TLS 1.3, round robin over every real), a wrk run is measured
/// with each side's CPU time, and the lab leaves nothing behind.
@Suite("Proxy part: configs and lab", .serialized)
struct ProxyPeersTests {
    static let peersInstalled = ["/usr/sbin/haproxy", "/usr/sbin/nginx", "/usr/bin/wrk", "/usr/bin/curl"]
        .allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    static let canRun = geteuid() == 0 && peersInstalled
    static let requirement: Comment = "needs root (network namespaces) and haproxy, nginx, wrk, curl (Tools/install-deps)"

    /// The `usher` built next to the tests (`swift build --build-tests` builds it), or USHER_BIN.
    static var usher: String? {
        let candidates: [String?] = [ProcessInfo.processInfo.environment["USHER_BIN"],
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("usher").path,
                          Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("usher").path]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func folder() throws -> String {
        let path = NSTemporaryDirectory() + "usher-proxy-peers-test-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("Usher's config loader takes the generated config: an http and an https service over every real, TLS 1.3-capable, no log")
    func usherConfigLoads() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let peers = ProxyPeers(directory: dir, reals: 3)
        try peers.write()
        try ProxyChecks(lab: nil, peers: peers).checkConfig(.usher)
        let config = try ConfigLoader.load(path: peers.configPath(.usher))
        #expect(config.services.map(\.mode) == [.http, .https])
        #expect(config.services.map(\.port) == [UInt16(peers.httpPort(.usher)), UInt16(peers.httpsPort(.usher))])
        let yaml = peers.usherConfig()
        #expect(yaml.contains("access-log: none") && yaml.contains("forwarded-headers: false") && yaml.contains("alpn: [http/1.1]"))
        for i in 0..<3 { #expect(yaml.contains("address: \(ProxyLab.realAddress(i))")) }
    }

    @Test("with two workers each proxy's config and command say two, in files of their own beside the one-worker ones")
    func twoWorkers() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var peers = ProxyPeers(directory: dir, reals: 3)
        try peers.write()
        peers.workers = 2
        try peers.writeProxyConfigs()
        try ProxyChecks(lab: nil, peers: peers).checkConfig(.usher)
        #expect(peers.configPath(.usher).hasSuffix("/usher-2w.yaml") && peers.configPath(.nginx).hasSuffix("/nginx-proxy-2w.conf"))
        #expect(FileManager.default.fileExists(atPath: dir + "/usher.yaml"), "the one-worker config stays")
        #expect(peers.command(.usher, usher: "/u").suffix(4) == ["--threads", "2", "--log-level", "warning"])
        #expect(try String(contentsOfFile: peers.configPath(.haproxy), encoding: .utf8).contains("nbthread 2"))
        let nginx = try String(contentsOfFile: peers.configPath(.nginx), encoding: .utf8)
        #expect(nginx.contains("worker_processes 2;") && nginx.contains("nginx-proxy-2w.pid"))
    }

    @Test("HAProxy's own check (haproxy -c) takes the generated config; a broken one is refused",
          .enabled(if: peersInstalled, requirement))
    func haproxyChecks() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let peers = ProxyPeers(directory: dir, reals: 2)
        try peers.write()
        try ProxyChecks(lab: nil, peers: peers).checkConfig(.haproxy)
        try (peers.haproxyConfig() + "    balance no-such-algorithm\n").write(toFile: peers.configPath(.haproxy), atomically: true, encoding: .utf8)
        #expect(throws: BenchCheckError.self) { try ProxyChecks(lab: nil, peers: peers).checkConfig(.haproxy) }
    }

    @Test("programs started in the lab can be stopped with SIGTERM, though the harness ignores it to clean up first",
          .enabled(if: canRun, requirement))
    func childrenKeepDefaultSignals() throws {
        let lab = try ProxyLab(reals: 1)
        defer { lab.remove() }
        let pid = try lab.start(["sleep", "30"], cpu: 0, log: "sleep.log")
        usleep(200_000)
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let ignored = try #require(status.split(separator: "\n").first { $0.hasPrefix("SigIgn:") }
            .flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) })
        #expect(ignored & (1 << (UInt64(SIGTERM) - 1)) == 0, "SIGTERM is not ignored by the child")
        kill(pid, SIGTERM)
        let deadline = monotonicNanoseconds() + 3_000_000_000
        while lab.isRunning(pid), monotonicNanoseconds() < deadline { usleep(20_000) }
        #expect(!lab.isRunning(pid), "sleep died of SIGTERM")
    }

    @Test("in the lab: nginx -t takes the proxy's and the reals' configs; all three proxies answer the same; a wrk run is measured",
          .enabled(if: canRun, requirement))
    func sameJobInTheLab() throws {
        let lab = try ProxyLab(reals: 2)
        let namespace = lab.name
        var pids: [Int32] = []
        do {
            defer { lab.remove() }
            #expect(FileManager.default.fileExists(atPath: "/run/netns/\(namespace)"))
            let peers = ProxyPeers(directory: lab.directory, reals: 2)
            try peers.write()
            let checks = ProxyChecks(lab: lab, peers: peers)
            try checks.checkConfig(.nginx)
            try checks.checkConfig(.haproxy)
            var bench = ProxyBench()
            if let usher = Self.usher { bench.usher = usher }
            for i in 0..<2 {
                let pid = try lab.start(peers.realCommand(i), cpu: 0, log: "real\(i + 1).log")
                pids.append(pid)
                try bench.waitForListener(lab, pid: pid, url: "http://\(ProxyLab.realAddress(i)):\(peers.realPort)/", log: "real\(i + 1).log")
            }
            let kinds: [ProxyPeers.Kind] = Self.usher == nil ? [.haproxy, .nginx] : [.usher, .haproxy, .nginx]
            var proxies: [ProxyPeers.Kind: Int32] = [:]
            for kind in kinds {
                let pid = try lab.start(peers.command(kind, usher: bench.usher), cpu: 1, log: "\(kind.rawValue).log")
                proxies[kind] = pid
                pids.append(pid)
                try bench.waitForListener(lab, pid: pid, url: "http://\(ProxyLab.vip):\(peers.httpPort(kind))/", log: "\(kind.rawValue).log")
                let check = try checks.check(kind)
                #expect(check.tlsProtocol == "TLSv1.3", "\(kind)")
                #expect(check.realsSeen == ["r1", "r2"], "\(kind) spreads over both reals")
            }
            #expect(ProxyCPU.tree(of: proxies[.nginx]!).count == 2, "nginx's master and its one worker")
            let load = ProxyLoad(lab: lab, peers: peers, connections: 8, realPids: Array(pids.prefix(2)))
            let sample = try load.measure(.haproxy, pid: proxies[.haproxy]!, .httpKeepAlive, seconds: 1, round: 1)
            #expect(sample.wrk.requests > 100 && sample.wrk.socketErrors == 0 && sample.wrk.non2xx == 0)
            #expect(sample.proxyCpu > 0.02 && sample.proxyCpu < 1.1, "HAProxy's one thread did the work: \(sample.proxyCpu)")
            #expect(sample.wrkCpu > 0.02 && sample.wrkCpu < 1.1, "wrk's one thread: \(sample.wrkCpu)")
            #expect(sample.realsCpu > 0.0)
            let closing = try load.measure(.nginx, pid: proxies[.nginx]!, .tlsHandshake, seconds: 1, round: 1)
            #expect(closing.wrk.requests > 10 && closing.wrk.non2xx == 0, "a TLS handshake per request through nginx")
        }
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(namespace)"), "the namespace is deleted")
        #expect(!FileManager.default.fileExists(atPath: lab.directory), "the folder is deleted")
        for pid in pids { #expect(kill(pid, 0) != 0, "process \(pid) was stopped") }
    }
}
