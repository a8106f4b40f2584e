import Foundation

/// Section 5 of Docs/BENCHMARKS.md, from `Docs/bench/results/proxy.json`.
enum ProxyReport {
    static let notRun = """
        ## 5. The proxy tier

        Not run yet: `Tools/bench proxy`.


        """

    static func section(_ r: ProxyResult) -> String {
        var out = "## 5. The proxy tier\n\n"
        out += setup(r)
        out += table(r.rows)
        out += "\nMedians over the rounds (min–max). CPU: share of one core over the run (proxy: its process tree; "
        out += "wrk: its own time; reals: all of them; CPU 0 / CPU 1 busy: every process on that CPU, ours and others', "
        out += "from /proc/stat). *Requests per proxy CPU-second* divides the requests by the proxy's CPU time: the "
        out += "per-core figure, also when the proxy did not fill its core.\n\n"
        out += "*Bottleneck*: **proxy** — the proxy used ≥ 85% of its core, the figure is the proxy's; **wrk** — wrk used "
        out += "≥ 85% of its core, the figure is the client's limit, not the proxy's; **client core** — CPU 0 (wrk and the "
        out += "reals) was ≥ 90% busy: the client side's limit; **shared machine** — other work than ours took a quarter "
        out += "of a core or more on CPU 0 or CPU 1: noise, the figure says little; **none** — nothing saturated "
        out += "(latency-bound).\n\n"
        out += ratios(r.ratios)
        out += targets(r)
        out += twoCores(r)
        out += syscalls(r)
        out += profiles(r)
        return out + "\n"
    }

    /// A row per load and proxy.
    static func table(_ rows: [ProxyResult.Row]) -> String {
        var out = "| load | proxy | requests/s | p50 ms | p99 ms | requests per proxy CPU-second | proxy CPU | wrk CPU | reals CPU "
        out += "| CPU 0 / CPU 1 busy | bottleneck (rounds) | errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        for row in rows {
            out += "| \(row.scenario.title) | \(row.proxy.title) | \(count(row.requestsPerSecond)) | \(Fmt.ms(row.p50Ms)) "
            out += "| \(Fmt.ms(row.p99Ms)) | \(count(row.requestsPerProxyCpuSecond)) | \(percent(row.proxyCpu)) | \(percent(row.wrkCpu)) "
            out += "| \(percent(row.realsCpu)) | \(Int((row.cpu0Busy.median * 100).rounded()))% / \(Int((row.cpu1Busy.median * 100).rounded()))% "
            out += "| \(bottleneck(row.bottleneck)) (\(row.bottleneckRounds)/\(row.samples.count)) "
            out += "| \(row.errors + row.non2xx == 0 ? "0" : "**\(row.errors) socket, \(row.non2xx) non-2xx**") |\n"
        }
        return out
    }

    static func ratios(_ ratios: [ProxyResult.Ratio]) -> String {
        guard !ratios.isEmpty else { return "" }
        var out = "| load | Usher / HAProxy, requests/s | Usher / HAProxy, per proxy CPU-second | Usher / nginx, requests/s "
        out += "| Usher / nginx, per proxy CPU-second |\n|---|---|---|---|---|\n"
        for scenario in ProxyResult.Scenario.allCases {
            let h = ratios.first { $0.scenario == scenario && $0.peer == .haproxy }
            let n = ratios.first { $0.scenario == scenario && $0.peer == .nginx }
            guard h != nil || n != nil else { continue }
            out += "| \(scenario.title) | \(Fmt.ratio(h?.requestsPerSecond)) | \(Fmt.ratio(h?.requestsPerProxyCpuSecond)) "
            out += "| \(Fmt.ratio(n?.requestsPerSecond)) | \(Fmt.ratio(n?.requestsPerProxyCpuSecond)) |\n"
        }
        return out + "\nRatios are taken round by round (the three proxies of a round run back to back), then the median (min–max).\n\n"
    }

    static func twoCores(_ r: ProxyResult) -> String {
        guard let two = r.twoCores, !two.rows.isEmpty else { return "" }
        var out = "### Two workers on two cores\n\n"
        out += "The same proxies with two workers each (Usher `--threads 2`, HAProxy `nbthread 2`, nginx `worker_processes 2`), "
        out += "started again on both CPUs, with wrk (two threads, \(r.connections) connections) and the reals on the same two: "
        out += "the machine is shared, so a proxy that costs less per request leaves more of it to the client and the reals. "
        out += "Same rounds and lengths as above. *Bottleneck* **machine**: both CPUs ≥ 90% busy with our programs.\n\n"
        out += table(two.rows)
        out += "\n" + ratios(two.ratios)
        if !two.targets.isEmpty {
            let met = two.targets.filter { $0.requestsMet && $0.p99Met }.count
            out += "**Target** (with 2 threads on 2 cores at least HAProxy's `nbthread 2` in requests per second, and a p99 "
            out += "at \(r.connections) connections no worse than HAProxy's): \(met) of \(two.targets.count) met. "
            out += two.targets.map { t in
                "\(t.scenario.title): Usher \(Int(t.usherRequestsPerSecond.rounded())) requests/s, HAProxy "
                    + "\(Int(t.haproxyRequestsPerSecond.rounded())), **\(t.requestsMet ? "met" : "missed")**; p99 "
                    + String(format: "%.2f against %.2f ms", t.usherP99Ms, t.haproxyP99Ms) + ", **\(t.p99Met ? "met" : "missed")**"
            }.joined(separator: "; ") + ".\n\n"
        }
        return out
    }

    static func setup(_ r: ProxyResult) -> String {
        var out = "Usher's proxy (`usher proxy --threads 1`), \(r.versions["haproxy"] ?? "HAProxy") (`nbthread 1`) and "
        out += "\(r.versions["nginx"] ?? "nginx") (`worker_processes 1`), each pinned to CPU 1, in front of the same \(r.reals) "
        out += "real servers (nginx, one worker each, a fixed \(r.bodyBytes)-byte body) in round robin over pooled keep-alive "
        out += "connections, with no access log and no header added towards the reals. wrk (\(r.versions["wrk"] ?? "wrk"); one "
        out += "thread, \(r.connections) connections, `--latency`; `-H \"Connection: close\"` for a new connection per request) "
        out += "and the reals are pinned to CPU 0. \(r.rounds) rounds of \(r.seconds) s per proxy and load, after a 1 s "
        out += "warm-up of each; in each round the loads run one after the other, the three proxies back to back, a "
        out += "different one first each round.\n\n"
        out += "Everything runs in one network namespace of its own over its loopback (the VIP 203.0.113.10 and the reals "
        out += "198.51.100.11… are addresses of its `lo`): loopback is the cheapest path there is, so the time measured is "
        out += "the programs' and not a veth's or a bridge's, and nothing reaches the machine's interfaces. TLS: TLS 1.3 "
        out += "with the same ECDSA P-256 certificate (made with openssl in the run), HTTP/1.1 (ALPN `http/1.1`); wrk "
        out += "does not resume sessions, so a handshake per request is a full handshake. Checked before measuring: each "
        out += "program accepts its config, answers the reals' body over HTTP and TLS, and spreads requests over every real"
        if !r.checks.isEmpty {
            out += "; negotiated: " + r.checks.map { "\($0.proxy.title) \($0.tlsProtocol) \($0.cipher)" }.joined(separator: ", ")
        }
        return out + ".\n\n"
    }

    static func targets(_ r: ProxyResult) -> String {
        guard !r.targets.isEmpty else { return "" }
        let met = r.targets.filter(\.met).count
        var out = "**Target** (requests per second per core at least HAProxy's, on requests per proxy CPU-second): "
        out += "\(met) of \(r.targets.count) met. "
        out += r.targets.map { t in
            "\(t.scenario.title): Usher \(Int(t.usher.rounded())), HAProxy \(Int(t.haproxy.rounded())), **\(t.met ? "met" : "missed")**"
                + (t.proxyBound ? "" : " (not both proxy-bound in most rounds: the figure says less)")
        }.joined(separator: "; ") + ".\n\n"
        return out
    }

    static func syscalls(_ r: ProxyResult) -> String {
        guard !r.syscalls.isEmpty else { return "" }
        var out = "System calls per request (`perf stat -e raw_syscalls:sys_enter` on each proxy over one run; unlike "
        out += "requests per second, the machine's other load does not change it):\n\n| load | "
        out += ProxyPeers.Kind.allCases.map(\.title).joined(separator: " | ") + " |\n|---|---|---|---|\n"
        for scenario in ProxyResult.Scenario.allCases {
            let counts = r.syscalls.filter { $0.scenario == scenario }
            guard !counts.isEmpty else { continue }
            out += "| \(scenario.title) | " + ProxyPeers.Kind.allCases.map { kind in
                counts.first { $0.proxy == kind }.map { String(format: "%.2f", $0.perRequest) } ?? "—"
            }.joined(separator: " | ") + " |\n"
        }
        return out + "\n"
    }

    static func profiles(_ r: ProxyResult) -> String {
        guard !r.profiles.isEmpty else { return "" }
        var out = "### Where the time goes\n\n"
        out += "Over loopback, a `write` runs the receiving side's TCP input in the writer's context (softirq): the "
        out += "kernel's share of a proxy includes its peers' receive path, for all three proxies alike. In a VM, "
        out += "cpu-clock samples that arrive while interrupts are off land where they are turned back on: "
        out += "`_raw_spin_unlock_irqrestore` (under `sock_def_readable`, the wakeup of the peer) stands for that work.\n\n"
        for p in r.profiles {
            out += "`perf record -e cpu-clock -g` on Usher's proxy for \(p.seconds) s while wrk runs *\(p.scenario.title)* "
            out += "(\(p.samples) samples; own time, `--no-children`). By library:\n\n| library | % |\n|---|---|\n"
            for e in p.byLibrary { out += "| `\(e.name)` | \(String(format: "%.1f", e.percent)) |\n" }
            out += "\nBy symbol:\n\n| symbol | % |\n|---|---|\n"
            for e in p.bySymbol {
                out += "| `\(e.name.replacingOccurrences(of: "|", with: "\\|"))` | \(String(format: "%.1f", e.percent)) |\n"
            }
            out += "\n"
        }
        return out
    }

    static func count(_ s: Summary) -> String {
        func k(_ v: Double) -> String { v >= 10_000 ? String(format: "%.1fk", v / 1000) : String(format: "%.0f", v) }
        return "\(k(s.median)) (\(k(s.min))–\(k(s.max)))"
    }

    static func percent(_ s: Summary) -> String {
        "\(Int((s.median * 100).rounded()))% (\(Int((s.min * 100).rounded()))–\(Int((s.max * 100).rounded())))"
    }

    static func bottleneck(_ b: ProxyResult.Bottleneck) -> String {
        switch b {
        case .proxy: "**proxy**"
        case .wrk: "**wrk** (client's limit)"
        case .clientCore: "**client core** (client's limit)"
        case .sharedMachine: "shared machine (noise)"
        case .none: "none"
        case .machine: "**machine** (both CPUs)"
        }
    }
}
