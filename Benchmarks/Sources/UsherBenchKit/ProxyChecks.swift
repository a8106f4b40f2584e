import Foundation
import UsherCore

/// What makes the three proxies' figures comparable, checked before anything is measured: each
/// program accepts its config (`haproxy -c`, `nginx -t`, Usher's config loader — the one
/// `usher proxy` uses), answers with the reals' body over HTTP and TLS, spreads requests over
/// every real, and negotiates TLS 1.3.
public struct ProxyChecks {
    public let lab: ProxyLab?
    public let peers: ProxyPeers

    public init(lab: ProxyLab?, peers: ProxyPeers) {
        self.lab = lab
        self.peers = peers
    }

    /// Runs the program's own check of its config. `nginx -t` binds the listeners it checks:
    /// it runs in the lab, where the addresses are.
    public func checkConfig(_ kind: ProxyPeers.Kind) throws {
        switch kind {
        case .usher:
            do {
                let config = try ConfigLoader.load(path: peers.configPath(.usher))
                let modes = config.services.map(\.mode)
                guard modes.contains(.http), modes.contains(.https) else {
                    throw BenchCheckError(description: "proxy: \(peers.configPath(.usher)) lacks an http or https service")
                }
            } catch let errors as ConfigErrors {
                throw BenchCheckError(description: "proxy: Usher refuses the generated config: \(errors)")
            }
        case .haproxy:
            try expectSuccess(["/usr/sbin/haproxy", "-c", "-q", "-f", peers.configPath(.haproxy)], "HAProxy")
        case .nginx:
            try expectSuccess(["/usr/sbin/nginx", "-t", "-q", "-p", peers.directory, "-e", peers.directory + "/nginx-check.log",
                               "-c", peers.configPath(.nginx)], "nginx (proxy)", inLab: true)
            for i in 0..<peers.reals {
                try expectSuccess(["/usr/sbin/nginx", "-t", "-q", "-p", peers.directory, "-e", peers.directory + "/nginx-check.log",
                                   "-c", peers.realConfigPath(i)], "nginx (real \(i + 1))", inLab: true)
            }
        }
    }

    func expectSuccess(_ argv: [String], _ who: String, inLab: Bool = false) throws {
        if inLab && lab == nil { throw BenchCheckError(description: "proxy: checking \(who)'s config needs the lab (nginx -t binds)") }
        let (status, output) = try lab.map { inLab ? try $0.command(argv, timeout: 30) : try ProxyLab.run(argv, timeout: 30) }
            ?? ProxyLab.run(argv, timeout: 30)
        guard status == 0 else {
            throw BenchCheckError(description: "proxy: \(who) refuses the generated config (\(argv.joined(separator: " "))):\n\(output)")
        }
    }

    /// Over HTTP and TLS, `2 × reals` requests on one connection each: every answer a 200 with
    /// the reals' body, every real seen; and the TLS version and cipher that wrk will get.
    public func check(_ kind: ProxyPeers.Kind) throws -> ProxyResult.Check {
        guard let lab else { throw BenchCheckError(description: "proxy: checking answers needs the lab") }
        var seen = Set<String>()
        for tls in [false, true] {
            let url = tls ? "https://\(ProxyLab.vip):\(peers.httpsPort(kind))/" : "http://\(ProxyLab.vip):\(peers.httpPort(kind))/"
            let count = 2 * peers.reals
            let argv = ["curl", "-s", "-i", "--max-time", "5"] + (tls ? ["-k", "--tlsv1.3"] : []) + Array(repeating: url, count: count)
            let (status, output) = try lab.command(argv, timeout: 15)
            let answers = Self.answers(output)
            guard status == 0, answers.ok == count, answers.bodies == count else {
                throw BenchCheckError(description: "proxy: \(kind.title) at \(url): expected \(count) answers 200 with the reals' body, "
                    + "got \(answers.ok) (\(answers.bodies) bodies), curl status \(status):\n\(output.prefix(800))")
            }
            guard answers.reals.count == peers.reals else {
                throw BenchCheckError(description: "proxy: \(kind.title) at \(url) sent \(count) requests to \(answers.reals.sorted()) only, "
                    + "not round robin over \(peers.reals) reals")
            }
            seen.formUnion(answers.reals)
        }
        let (_, hello) = try lab.command(["openssl", "s_client", "-connect", "\(ProxyLab.vip):\(peers.httpsPort(kind))", "-brief"],
                                         timeout: 15)
        let tls = Self.negotiated(hello)
        guard tls.protocolVersion == "TLSv1.3" else {
            throw BenchCheckError(description: "proxy: \(kind.title) negotiated \(tls.protocolVersion), not TLSv1.3:\n\(hello.prefix(600))")
        }
        return .init(proxy: kind, tlsProtocol: tls.protocolVersion, cipher: tls.cipher, realsSeen: seen.sorted())
    }

    /// Counts in `curl -i` output: 200 status lines, bodies, and the reals named by `X-Real`.
    public static func answers(_ output: String) -> (ok: Int, bodies: Int, reals: Set<String>) {
        var ok = 0, bodies = 0, reals = Set<String>()
        // Headers end in CRLF, which Swift reads as one Character: split on every kind of newline.
        for line in output.split(whereSeparator: \.isNewline) {
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.hasPrefix("HTTP/"), text.split(separator: " ").dropFirst().first == "200" { ok += 1 }
            if text == ProxyPeers.body.trimmingCharacters(in: .whitespacesAndNewlines) { bodies += 1 }
            if text.lowercased().hasPrefix("x-real:") { reals.insert(text.dropFirst(7).trimmingCharacters(in: .whitespaces)) }
        }
        return (ok, bodies, reals)
    }

    /// `openssl s_client -brief`'s "Protocol version:" and "Ciphersuite:" lines.
    public static func negotiated(_ output: String) -> (protocolVersion: String, cipher: String) {
        func value(_ key: String) -> String? {
            output.split(separator: "\n").first { $0.hasPrefix(key) }
                .map { $0.dropFirst(key.count).trimmingCharacters(in: .whitespaces) }
        }
        return (value("Protocol version:") ?? "none", value("Ciphersuite:") ?? "none")
    }
}
