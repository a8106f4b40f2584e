import Foundation

/// Section 6 of Docs/BENCHMARKS.md: the health-check engine at scale.
enum HealthReport {
    /// The target of issue 9: 10,000 reals every 2 s in under a quarter of one core.
    static let cpuTarget = 0.25

    static let notRun = "## 6. Health checks at scale\n\nNot run yet: `Tools/bench health`.\n\n"

    static func section(_ r: HealthBenchResult) -> String {
        var out = "## 6. Health checks at scale\n\n"
        out += "\(r.targets) reals checked every \(Fmt.seconds(r.intervalSeconds)) (timeout 1 s, rise 2, fall 3) by one "
        out += "`HealthEngine` on one event loop, as `usher daemon` runs it, for \(Fmt.seconds(r.seconds)) after the first "
        out += "checks have spread. The reals are \(r.targets) IPv6 addresses of one prefix made local in a namespace of "
        out += "their own and answered by one nginx worker (another process, not counted); the engine's sockets are in a "
        out += "second namespace, joined by a veth pair. *CPU* is the benchmark process's own user + system time over "
        out += "the wall time (the engine is all it runs): 1.00 would be one core; *user* is the part of it in user space. "
        out += "A veth pair processes a frame for its peer in the sender's context, which charges the servers' side of "
        out += "every connection (SYN to SYN-ACK, the reset) to the engine. "
        if r.serversOnOtherCores == true {
            out += "So the engine ran on core 0 and the servers' end of the pair steered its frames to the other cores (RPS), "
            out += "as if the servers were other hosts: those rows are the engine's cost and hold the target. The rows "
            out += "marked *inline* repeat the run with the servers' side in the engine's context, for comparison. "
        } else {
            out += "This run had one core, so that is counted in the engine's CPU (*inline*). "
        }
        out += "*Spread*: where in the last interval "
        out += "each real's last check ended, in 20 slices; the busiest and quietest slice against the mean (1.00 = even; "
        out += "the oldest slice is the quietest by design: with intervals of ±10 %, some of its reals were checked again "
        out += "before a whole interval had passed). "
        out += "Target: CPU under \(Int(cpuTarget * 100)) % of one core.\n\n"
        out += "| check | checks/s | CPU (share of one core) | user | target | busiest / quietest slice | down | stale |\n"
        out += "|---|---|---|---|---|---|---|---|\n"
        for run in r.runs {
            let met = run.serversInline == true && r.serversOnOtherCores == true ? "(comparison)"
                : run.cpuShareOfOneCore < cpuTarget ? "met" : "**missed**"
            let user = run.userShareOfOneCore.map { String(format: "%.3f", $0) } ?? "–"
            let kind = run.serversInline == true ? "\(run.kind), inline" : run.kind
            out += "| \(kind) | \(Int(run.checksPerSecond)) | \(String(format: "%.3f", run.cpuShareOfOneCore)) | \(user) | \(met) | "
            out += "\(String(format: "%.2f / %.2f", run.busiestTenthOverMean, run.quietestTenthOverMean)) | \(run.down) | \(run.stale) |\n"
        }
        out += "\n*down*: reals the engine holds down at the end (every real answers, so any is a false alarm); *stale*: "
        out += "reals whose last check ended more than an interval (+10 %) plus the timeout ago (checks falling behind).\n\n"
        return out
    }
}

extension Fmt {
    static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s) }
}
