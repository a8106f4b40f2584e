import Foundation

/// Section 3b of Docs/BENCHMARKS.md: packets per second of a cluster of 1, 2 and 3 balancers.
extension ReportText {
    static let clusterNotRun = "## 3b. A cluster: 1, 2 and 3 balancers behind an ECMP router\n\nNot run yet: `Tools/bench cluster`.\n\n"

    static func cluster(_ r: ClusterPPSResult, cores: Int) -> String {
        var out = "## 3b. A cluster: 1, 2 and 3 balancers behind an ECMP router\n\n"
        out += """
            **The lab** (namespaces `upps-TAG-*`, Benchmarks/Sources/UsherBenchKit/ClusterPPSLab.swift): the generator of
            part 3 sends \(r.frame) to a router namespace. The router is the kernel's IPv4 forwarding with one multipath
            route to the VIP, one next hop per balancer in the cluster, hashed on the flow's ports
            (`fib_multipath_hash_policy=1`) — the route the router's BIRD installs in DEPLOYMENT.md's cluster, written here
            with `ip route` so that the part measures forwarding, not BGP (Tests/EndToEnd/test_cluster.py tests the BGP).
            Three balancer namespaces each run `usher_balance` (its own pins and tables, the same config: dsr-l2 to three
            reals) on their one port; what they send back reaches the router's end of their link, where `usher_bench_switch`
            hands it to the real of its destination MAC, whose `usher_bench_count` counts it. A run with N balancers has
            the first N in the route; each round runs N = \(r.rows.map { String($0.balancers) }.joined(separator: ", ")),
            each after a warm-up that shows every flow to its balancer, then \(r.framesPerRun) frames; \(r.rounds) round(s).


            """
        let distinct = Set(r.balancerCpus)
        let traffic = r.sourceCpus.map(String.init).joined(separator: ", ")
        out += "**CPUs.** This machine has \(cores) cores. Every veth's receive work runs in its own kernel thread "
        out += "(threaded NAPI). Each balancer's whole job (XDP program and transmit) is its thread: balancers 1, 2, 3 "
        out += "on CPU \(r.balancerCpus.map(String.init).joined(separator: ", ")); the router's forwarding, "
        out += "the switches, the receivers and the generator on CPU \(traffic). "
        if let budget = r.budgetPercent {
            if distinct.count < r.balancerCpus.count {
                out += "There are not enough cores for one per balancer and one for the traffic, so each balancer gets a CPU "
                out += "of its own another way: "
            }
            if r.budgetScheduler == .fair {
                out += String(format: "its thread (SCHED_OTHER) is held to %.0f%% of its CPU by a CFS quota (a cgroup per "
                    + "balancer, 100 ms periods). ", budget)
            } else {
                out += String(format: "its thread (SCHED_FIFO 50) is held to %.0f%% of its CPU by the kernel's real-time "
                    + "group bandwidth (a cgroup per balancer, `cpu.rt_runtime_us` %.0f ms of every 100 ms; the CFS quota "
                    + "does not hold kernel threads since Linux 6.18, which throttles on the way back to user space). ",
                    budget, budget)
            }
            out += String(format: "Each balancer is then a CPU of %.0f%% of this core's time, and N balancers have N "
                + "such CPUs, as N hosts would. ", budget)
            if r.sharedRows != nil {
                out += "The same sizes then run without quotas, the balancers sharing their CPU whole (the second table). "
            }
        } else if distinct.count < r.balancerCpus.count {
            out += "There are not enough cores for one per balancer and one for the traffic: balancers that share a CPU "
            out += "share its cycles, so the cluster cannot grow past \(distinct.count) balancer core(s) here. "
        }
        out += "As found in the run:\n\n" + r.pinning.map { "- \($0)" }.joined(separator: "\n") + "\n\n"
        out += "*Forwarded*: frames counted at the reals per second of the generator's run; *× 1*: over the one-balancer "
        out += "run of the same round; *least share*: the smallest balancer's `tx` count (its data plane's own counter) "
        out += "over an even share (1.00 = even); *busiest balancer*: the share of the run its thread was on its CPU; "
        out += "*balancer ns/packet*: all balancer threads' CPU time per forwarded packet; *router*: the router's "
        out += "forwarding thread's share of the run; *traffic CPU*: the busy share of CPU "
        out += "\(traffic) (generator, router, switches, receivers; /proc/stat).\n\n"
        out += clusterTable(r.rows)
        if let budget = r.budgetPercent {
            out += "\n" + quotaReading(r, budget: budget)
        } else {
            out += "\n" + clusterReading(r, rows: r.rows, cores: cores)
        }
        if let shared = r.sharedRows {
            out += "**Without quotas**, the balancers sharing CPU \(r.balancerCpus.map(String.init).joined(separator: ", ")) whole "
            out += "(SCHED_FIFO 50):\n\n" + (r.sharedPinning ?? []).prefix(r.balancerCpus.count).map { "- \($0)" }.joined(separator: "\n")
            out += "\n\n" + clusterTable(shared) + "\n" + clusterReading(r, rows: shared, cores: cores)
        }
        if let last = r.rows.last?.runs.last {
            out += "The last run with \(last.balancers) balancers: their counters said \(last.perBalancer.map(String.init).joined(separator: " / ")) "
            out += "forwarded, the reals counted \(last.counted) of \(last.sent) sent.\n\n"
        }
        return out
    }

    static func clusterTable(_ rows: [ClusterPPSResult.Row]) -> String {
        var out = "| balancers | offered Mpps | forwarded Mpps | × 1 | loss % | least share | busiest balancer % | balancer ns/packet | router % | traffic CPU % |\n"
        out += "|---|---|---|---|---|---|---|---|---|---|\n"
        for row in rows {
            out += "| \(row.balancers) | \(Fmt.mpps(row.offeredMpps)) | \(Fmt.mpps(row.forwardedMpps)) | \(Fmt.ratio(row.scaling)) "
            out += "| \(Fmt.pct(row.lossPercent)) | \(String(format: "%.2f", row.evenness.median)) "
            out += "| \(row.busiestBalancerPercent.map(Fmt.pct) ?? "—") | \(row.balancerNsPerPacket.map(Fmt.ns) ?? "—") "
            out += "| \(row.routerBusyPercent.map(Fmt.pct) ?? "—") | \(row.sourceCpuBusyPercent.map(Fmt.pct) ?? "—") |\n"
        }
        return out
    }

    /// Whether the cluster grew with its nodes when each balancer had a CPU of `budget` percent,
    /// what set the figure (the balancers at their quota, or the traffic's CPU), and why the
    /// growth falls short of N× when it does.
    static func quotaReading(_ r: ClusterPPSResult, budget: Double) -> String {
        guard let one = r.rows.first(where: { $0.balancers == 1 }) else { return "" }
        var notes: [String] = []
        let more = r.rows.filter { $0.balancers > 1 }
        let growth = more.compactMap { row in row.scaling.map { String(format: "%.2f× with %d", $0.median, row.balancers) } }
        // Grew: each balancer added at least a quarter of what one forwards; in proportion: within 10% of N×.
        let figures = r.rows.map { $0.scaling?.median ?? 0 }
        let grew = figures.count > 1 && zip(figures, figures.dropFirst()).allSatisfy { $1 >= $0 + 0.25 }
        let proportional = grew && zip(r.rows, figures).allSatisfy { $1 >= 0.9 * Double($0.balancers) }
        notes.append((grew ? (proportional ? "the cluster grew in proportion to its nodes" : "the cluster grew with its nodes, "
                + "less than in proportion") : "the cluster did not grow with its nodes")
            + String(format: ": %.3f Mpps forwarded with one balancer, ", one.forwardedMpps.median)
            + growth.joined(separator: ", ") + " (each run over the one-balancer run of its round)")
        let shares = r.rows.compactMap { $0.busiestBalancerPercent?.median }
        let source = r.rows.compactMap { $0.sourceCpuBusyPercent?.median }
        let offered = r.rows.map { $0.offeredMpps.median / Double($0.balancers) }
        let forwarded = r.rows.map { $0.forwardedMpps.median / Double($0.balancers) }
        if let low = shares.min(), let high = shares.max() {
            let held = low >= budget * 0.9
            let flooded = zip(offered, forwarded).allSatisfy { $0 > $1 * 1.2 }
            notes.append(String(format: "each balancer thread ran %.1f–%.1f%% of the run against its quota of %.0f%%, "
                + "while the router offered each %.2f–%.2f Mpps, more than it forwarded", low, high, budget,
                offered.min() ?? 0, offered.max() ?? 0)
                + (held && flooded ? ": the balancers' CPUs set the figure, as they do when each has a core"
                    : ": not every balancer was held at its quota with frames waiting, so something else also limited the figure")
                + (source.max().map { String(format: " (the traffic's CPU was %.0f%% busy)", $0) } ?? ""))
        }
        let costs = r.rows.compactMap { row in row.balancerNsPerPacket.map { (row.balancers, $0.median) } }
        if let first = costs.first, let last = costs.last, last.0 > first.0, last.1 > first.1 * 1.1 {
            notes.append(String(format: "the growth falls short of N× because a balancer's cost per packet rose from %.0f ns "
                + "(1) to %.0f ns (%d): a thread given its CPU as %.0f ms of every 100 ms starts each slice with at most its "
                + "receive ring's 256 frames, then takes frames as the router sends them; split N ways, the offered rate "
                + "brings each fewer frames per wake-up, and its cost per wake-up is spread over fewer packets. A balancer "
                + "with a core of its own runs all the time, with full batches while frames wait, as the one-balancer "
                + "run does", first.1, last.1, last.0, budget))
        }
        if let ns = one.balancerNsPerPacket?.median, ns > 0 {
            notes.append(String(format: "at the one-balancer run's %.0f ns per packet, a whole core per balancer would "
                + "forward about %.2f Mpps each, more than this machine's one traffic core offers (the second table)",
                ns, 1e3 / ns))
        }
        return "**Reading.** " + notes.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: ". ") + ".\n\n"
    }

    /// What limited the figures, read from the busy shares, and what a core per balancer would
    /// give by the balancers' own cost per packet.
    static func clusterReading(_ r: ClusterPPSResult, rows: [ClusterPPSResult.Row], cores: Int) -> String {
        guard let one = rows.first(where: { $0.balancers == 1 }) else { return "" }
        var notes: [String] = []
        let cpus = r.sourceCpus.map(String.init).joined(separator: ", ")
        let source = rows.compactMap { $0.sourceCpuBusyPercent?.median }
        let busiest = rows.compactMap { $0.busiestBalancerPercent?.median }.max() ?? 0
        if let least = source.min(), let most = source.max(), least >= 85, busiest < 90 {
            let range = Int(least) == Int(most) ? "\(Int(most))%" : "\(Int(least))–\(Int(most))%"
            notes.append("the traffic's side set every figure: CPU \(cpus) (generator, the router's forwarding, switches, "
                + "receivers) was \(range) busy while no balancer thread passed \(Int(busiest))% of the run; "
                + "the generator sends only as fast as that core forwards, hence little or no loss")
            if let last = rows.last, last.balancers > 1, let scaling = last.scaling?.median, scaling < 0.95 {
                notes.append(String(format: "the figure even fell with more balancers (%.2f× with %d): that full core also runs "
                    + "the router's end of each balancer's link (a switch and its receive thread per link), and with the flows "
                    + "split over more links each of those threads wakes for smaller batches, more wake-ups per packet",
                    scaling, last.balancers))
            }
        }
        for row in rows {
            if let busy = row.busiestBalancerPercent?.median, busy >= 90 {
                notes.append("with \(row.balancers) balancer(s) the busiest balancer thread was \(Int(busy))% busy: a balancer core was full")
            }
        }
        if let ns = one.balancerNsPerPacket?.median, ns > 0 {
            notes.append(String(format: "one balancer spent %.0f ns of its thread per packet, so one balancer core alone would "
                + "forward about %.2f Mpps; the balancers share nothing on the packet path (each its own tables and counters, "
                + "the router's hash choosing), so N balancers on N cores would forward about N times that, as long as the "
                + "router and the traffic keep up — derived from the measured cost, not measured here", ns, 1e3 / ns))
        }
        if let more = rows.last, more.balancers > 1, let per = more.balancerNsPerPacket?.median,
           let base = one.balancerNsPerPacket?.median, per > base * 1.2 {
            notes.append(String(format: "with %d balancers sharing a core each forwarded fewer packets per wake-up of its "
                + "thread (smaller batches), so their cost per packet rose to %.0f ns", more.balancers, per))
        }
        let balancerCores = Set(r.balancerCpus).count
        if balancerCores < r.balancerCpus.count {
            notes.append("why more balancers cannot forward more here: \(cores) cores, \(r.sourceCpus.count) of them for the "
                + "traffic, leave \(balancerCores) for the balancers; a second or third balancer on the same core adds a next "
                + "hop but no cycles, so 3 cannot beat 2" + (balancerCores == 1 ? " (nor 2 beat 1)" : "")
                + "; a core per balancer and enough for the traffic (the router's one receive queue included) are "
                + "what the figure needs to grow with the nodes"
                + (r.budgetPercent == nil ? "" : ", which the first table stands in for with an equal share of a core each"))
        }
        return notes.isEmpty ? "" : "**Reading.** " + notes.map { $0.prefix(1).uppercased() + $0.dropFirst() }
            .joined(separator: ". ") + ".\n\n"
    }
}
