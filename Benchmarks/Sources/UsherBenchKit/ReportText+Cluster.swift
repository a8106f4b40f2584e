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
        out += "**CPUs.** This machine has \(cores) cores. Every veth's receive work runs in its own kernel thread "
        out += "(threaded NAPI). Each balancer's whole job (XDP program and transmit) is its thread: balancers 1, 2, 3 "
        out += "on CPU \(r.balancerCpus.map(String.init).joined(separator: ", ")) (SCHED_FIFO); the router's forwarding, "
        out += "the switches, the receivers and the generator on CPU \(r.sourceCpus.map(String.init).joined(separator: ", ")). "
        if distinct.count < r.balancerCpus.count {
            out += "There are not enough cores for one per balancer and one for the traffic: balancers that share a CPU "
            out += "share its cycles, so the cluster cannot grow past \(distinct.count) balancer core(s) here. "
        }
        out += "As found in the run:\n\n" + r.pinning.map { "- \($0)" }.joined(separator: "\n") + "\n\n"
        out += "*Forwarded*: frames counted at the reals per second of the generator's run; *× 1*: over the one-balancer "
        out += "run of the same round; *least share*: the smallest balancer's `tx` count (its data plane's own counter) "
        out += "over an even share (1.00 = even); *busiest balancer*: the share of the run its thread was on its CPU; "
        out += "*balancer ns/packet*: all balancer threads' CPU time per forwarded packet; *router*: the router's "
        out += "forwarding thread's share of the run; *traffic CPU*: the busy share of CPU "
        out += "\(r.sourceCpus.map(String.init).joined(separator: ", ")) (generator, router, switches, receivers; /proc/stat).\n\n"
        out += "| balancers | offered Mpps | forwarded Mpps | × 1 | loss % | least share | busiest balancer % | balancer ns/packet | router % | traffic CPU % |\n"
        out += "|---|---|---|---|---|---|---|---|---|---|\n"
        for row in r.rows {
            out += "| \(row.balancers) | \(Fmt.mpps(row.offeredMpps)) | \(Fmt.mpps(row.forwardedMpps)) | \(Fmt.ratio(row.scaling)) "
            out += "| \(Fmt.pct(row.lossPercent)) | \(String(format: "%.2f", row.evenness.median)) "
            out += "| \(row.busiestBalancerPercent.map(Fmt.pct) ?? "—") | \(row.balancerNsPerPacket.map(Fmt.ns) ?? "—") "
            out += "| \(row.routerBusyPercent.map(Fmt.pct) ?? "—") | \(row.sourceCpuBusyPercent.map(Fmt.pct) ?? "—") |\n"
        }
        out += "\n" + clusterReading(r, cores: cores)
        if let last = r.rows.last?.runs.last {
            out += "The last run with \(last.balancers) balancers: their counters said \(last.perBalancer.map(String.init).joined(separator: " / ")) "
            out += "forwarded, the reals counted \(last.counted) of \(last.sent) sent.\n\n"
        }
        return out
    }

    /// What limited the figures, read from the busy shares, and what a core per balancer would
    /// give by the balancers' own cost per packet.
    static func clusterReading(_ r: ClusterPPSResult, cores: Int) -> String {
        guard let one = r.rows.first(where: { $0.balancers == 1 }) else { return "" }
        var notes: [String] = []
        let cpus = r.sourceCpus.map(String.init).joined(separator: ", ")
        let source = r.rows.compactMap { $0.sourceCpuBusyPercent?.median }
        let busiest = r.rows.compactMap { $0.busiestBalancerPercent?.median }.max() ?? 0
        if let least = source.min(), let most = source.max(), least >= 85, busiest < 90 {
            let range = Int(least) == Int(most) ? "\(Int(most))%" : "\(Int(least))–\(Int(most))%"
            notes.append("the traffic's side set every figure: CPU \(cpus) (generator, the router's forwarding, switches, "
                + "receivers) was \(range) busy while no balancer thread passed \(Int(busiest))% of the run; "
                + "the generator sends only as fast as that core forwards, hence little or no loss")
            if let last = r.rows.last, last.balancers > 1, let scaling = last.scaling?.median, scaling < 0.95 {
                notes.append(String(format: "the figure even fell with more balancers (%.2f× with %d): that full core also runs "
                    + "the router's end of each balancer's link (a switch and its receive thread per link), and with the flows "
                    + "split over more links each of those threads wakes for smaller batches, more wake-ups per packet",
                    scaling, last.balancers))
            }
        }
        for row in r.rows {
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
        if let more = r.rows.last, more.balancers > 1, let per = more.balancerNsPerPacket?.median,
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
                + "what the figure needs to grow with the nodes")
        }
        return notes.isEmpty ? "" : "**Reading.** " + notes.map { $0.prefix(1).uppercased() + $0.dropFirst() }
            .joined(separator: ". ") + ".\n\n"
    }
}
