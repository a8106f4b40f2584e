import Foundation

/// Where Usher's proxy spends its time when it is behind HAProxy: `perf record -g` on its
/// process (cpu-clock) while wrk runs a scenario against it, then the share of each library
/// (Swift runtime, NIO, OpenSSL/BoringSSL, the kernel) and the top symbols by their own time,
/// Swift names demangled.
struct ProxyProfiler {
    let lab: ProxyLab
    let peers: ProxyPeers
    let connections: Int
    let seconds: Int

    func profile(pid: Int32, scenario: ProxyResult.Scenario) throws -> ProxyResult.Profile? {
        guard let perf = Profile.perf else {
            Progress.say("proxy: perf is not installed: no profile (apt-get install linux-perf)")
            return nil
        }
        let data = lab.directory + "/perf-\(scenario.rawValue).data"
        let load = ProxyLoad(lab: lab, peers: peers, connections: connections, realPids: [])
        let wrk = try lab.start(load.wrkArguments(.usher, scenario, seconds: seconds + 2), cpu: ProxyBench.clientCPU,
                                log: "wrk-profile.log")
        usleep(500_000)
        let (status, output) = try ProxyLab.run(["/usr/bin/taskset", "-c", "\(ProxyBench.clientCPU)", perf, "record", "-q",
                                                 "-e", "cpu-clock", "-g", "-p", "\(pid)", "-o", data, "--", "sleep", "\(seconds)"],
                                                timeout: Double(seconds) + 30)
        let deadline = monotonicNanoseconds() + UInt64(seconds + 15) * 1_000_000_000
        while lab.isRunning(wrk), monotonicNanoseconds() < deadline { usleep(50_000) }
        guard status == 0 else {
            Progress.say("proxy: perf record failed (\(status)): \(output.prefix(300))")
            return nil
        }
        func report(_ sort: String) throws -> String {
            try ProxyLab.run([perf, "report", "-i", data, "--stdio", "--no-children", "-g", "none", "--sort", sort,
                              "--percent-limit", "1"], timeout: 120).output
        }
        let byLibrary = try report("dso"), bySymbol = try report("sym")
        let symbols = Self.entries(bySymbol).prefix(15)
        let names = Self.demangled(symbols.map(\.name))
        return .init(scenario: scenario, seconds: seconds, samples: Self.sampleCount(byLibrary),
                     byLibrary: Array(Self.entries(byLibrary).prefix(10)),
                     bySymbol: symbols.map { .init(name: names[$0.name] ?? $0.name, percent: $0.percent) })
    }

    /// Lines like `    18.96%  libswiftCore.so` or `     5.10%  [k] _raw_spin_lock`.
    static func entries(_ text: String) -> [ProxyResult.Profile.Entry] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#") else { return nil }
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, parts[0].hasSuffix("%"), let percent = Double(parts[0].dropLast()) else { return nil }
            let rest = parts.dropFirst()
            let name = (rest.first == "[k]" || rest.first == "[.]") && rest.count > 1
                ? (rest.first == "[k]" ? "[kernel] " : "") + rest.dropFirst().joined(separator: " ")
                : rest.joined(separator: " ")
            return .init(name: name, percent: percent)
        }
    }

    /// perf's header line `# Samples: 12K of event 'cpu-clock'`.
    static func sampleCount(_ text: String) -> Int {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("# Samples:") }),
              let word = line.split(separator: " ").dropFirst(2).first else { return 0 }
        let scale: Double = word.hasSuffix("K") ? 1e3 : word.hasSuffix("M") ? 1e6 : 1
        return Int((Double(word.trimmingCharacters(in: CharacterSet(charactersIn: "KM"))) ?? 0) * scale)
    }

    /// Swift symbol names (`$s…`) demangled and simplified by swift-demangle, shortened to
    /// what a table cell holds.
    static func demangled(_ names: [String]) -> [String: String] {
        let mangled = names.filter { $0.hasPrefix("$s") || $0.hasPrefix("_$s") }
        let tool = ["/opt/swift/usr/bin/swift-demangle", "/usr/bin/swift-demangle"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard !mangled.isEmpty, let tool,
              let output = try? ProxyLab.run([tool, "--simplified", "--compact"] + mangled, timeout: 30).output else { return [:] }
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= mangled.count else { return [:] }
        var out: [String: String] = [:]
        for (name, plain) in zip(mangled, lines) {
            out[name] = plain.count > 140 ? String(plain.prefix(137)) + "…" : plain
        }
        return out
    }
}
