/// The text of Docs/BENCHMARKS.md: fixed prose and one renderer per part.
enum ReportText {
    static let header = """
        # Benchmarks

        This file is written by `Tools/bench` from the JSON results in `Docs/bench/results/` (in git:
        a part run alone replaces its own figures and keeps the others'); do not edit it by hand. `Tools/bench` runs every part; `Tools/bench xdp-cost`, `Tools/bench flows`,
        `Tools/bench lab-pps`, `Tools/bench cluster`, `Tools/bench control-plane`, `Tools/bench proxy`, `Tools/bench health` run one; `Tools/bench report` only rewrites this
        file and its plots (`Docs/bench/*.svg`). Every figure is measured on the machine at hand, against the
        real kernel, the real programs and the real maps.


        """

    static let method = """
        ## How the XDP program is timed

        **The trap.** BPF_PROG_TEST_RUN with `repeat` runs every iteration on the frame as the previous
        iteration left it. A dsr-ipip frame is IP-in-IP from the second iteration on and is counted
        `pass_not_l4`; a first packet is a tracked flow from the second iteration on. Such a figure times
        another path than the one named. Three ways out were weighed:

        - `BPF_F_TEST_XDP_LIVE_FRAMES` (kernel ≥ 5.18): frames come from a page pool, but the kernel's
          documentation (Documentation/bpf/bpf_prog_run.rst) says that a recycled page is *not* rewritten,
          only its data pointers are reset: a program that rewrites the frame may see its own rewrite again.
          It returns no verdict and no frame (nothing to check), and XDP_TX really transmits, so the time
          includes the veth and whatever runs behind it. Right for a traffic generator (part 3, with the
          restore step below), wrong for nanoseconds of one program.
        - Many single-iteration runs: each costs a system call, a copy in and out of the frame — about a
          microsecond, ten times the program. Not acceptable for nanosecond figures.
        - **Chosen: a wrapper** (`usher_bench_wrap`, Benchmarks/BPF/usher_bench.c). Before every iteration it moves
          the frame's start back to where it began (by whatever the last iteration grew or shrank it at the
          head), writes the original bytes back, gives the frame this iteration's flow (source port and an
          address byte from an iteration counter, for first packets and many flows), then tail-calls the
          program under test. The same wrapper with an empty program in the slot measures the wrapper's
          own cost, on the same frame, just before; it is subtracted.

        **What is checked** before a measured run is kept (else the part fails): the verdict of the *last*
        iteration; the frame the last iteration left, byte for byte against one packet of the same flow run
        alone; and the data plane's own counters, which must have counted exactly every iteration's packet
        under the expected verdict reason (`tx`, `pass_not_vip`, …) and flow event (`ct_new`, `ct_hit`).
        The harness's tests (Tests/BenchmarkTests) show that the wrapper gives each iteration the frame it
        should (a probe program records every iteration's frame) and that a plain `repeat` does not.

        **What is reported.** *ns per packet* = the program's own cost (wrapper with it − wrapper alone)
        + the cost of BPF_PROG_TEST_RUN's own loop per iteration (an empty program, whose plain `repeat`
        is harmless since it changes nothing): what BPF_PROG_TEST_RUN would report if every iteration got
        the original frame. The *ratio* divides that by the floor program's (`usher_floor`: parse
        Ethernet/IP/TCP, swap MACs, XDP_TX) of the same IP family in the same round. Times are the
        kernel's (it pauses its clock when it reschedules). Each figure is the median over rounds, with
        min–max; the paths of a round run one after the other, so a busy moment hits them all alike.


        """

    static func cost(_ r: XDPCostResult) -> String {
        var out = "## 1. Cost per packet of the XDP program\n\n"
        out += "\(r.rounds) rounds of \(r.iterations) packets per path (first packets: \(r.newFlowIterations) per round, "
        out += "so that the table never fills; part 2 measures a full one). "
        if let loop = r.loopNs {
            out += "BPF_PROG_TEST_RUN's own loop costs \(Fmt.ns(loop)) ns per iteration, included below.\n\n"
        }
        out += "| path | verdict (counted as) | ns per packet | own ns | ratio to floor | target |\n|---|---|---|---|---|---|\n"
        for row in r.rows where row.candidate != true {
            let counted = [row.reason, row.event].compactMap { $0 }.joined(separator: ", ")
            let target = r.targets.first { $0.caseName == row.id }
                .map { "≤ \(String(format: "%.1f", $0.limit))×: **\($0.met ? "met" : "missed")**" } ?? ""
            out += "| \(row.title) | \(row.verdict)\(counted.isEmpty ? "" : " (\(counted))") | \(Fmt.ns(row.ns)) | "
            out += "\(Fmt.ns(row.ownNs)) | \(row.path == .floor ? "1" : Fmt.ratio(row.ratioToFloor)) | \(target) |\n"
        }
        out += "\n*own ns*: the program alone, without the loop's entry cost (its ratios to the floor's own few "
        out += "nanoseconds are in the JSON as `own_ratio_to_floor`)."
        if !r.pending.isEmpty {
            out += " Not measured yet: " + r.pending.map { "\($0.title) (\($0.why))" }.joined(separator: "; ") + "."
        }
        out += "\n\n"
        out += candidates(r)
        if let flood = r.synFlood {
            out += "**SYN flood** (dsr-l2, a table of the data plane's size): \(flood.established) established flows, then "
            out += "\(flood.spoofedSyns) spoofed SYNs, each from its own source (\(String(format: "%.0f", flood.nsPerSyn)) ns per SYN, "
            out += "wrapper included): \(flood.kept) of them still on their real (\(String(format: "%.2f", flood.share * 100)) %; "
            out += "target ≥ \(String(format: "%.0f", flood.target * 100)) %: **\(flood.met ? "met" : "missed")**), "
            out += "\(flood.entriesAfter) entries in the table after the flood (a SYN makes none).\n\n"
        }
        let met = r.targets.filter(\.met).count
        out += "**Targets**: \(met) of \(r.targets.count) met. "
        let missed = Dictionary(grouping: r.targets.filter { !$0.met }, by: \.what)
        if missed.isEmpty { out += "\n\n" } else {
            out += "Missed: " + missed.sorted { $0.key < $1.key }.map { what, list in
                "\(what) (\(list.map { "\($0.caseName) \(String(format: "%.2f", $0.ratio))×" }.joined(separator: ", ")))"
            }.joined(separator: "; ") + ".\n\n"
        }
        out += whereTimeGoes(r)
        return out
    }

    /// The flow-table candidates of issue 10, measured in the same rounds (Docs/ARCHITECTURE.md,
    /// connection tracking, says which was chosen and why).
    static func candidates(_ r: XDPCostResult) -> String {
        let rows = r.rows.filter { $0.candidate == true }
        guard !rows.isEmpty else { return "" }
        var out = "The flow-table candidate beside the data plane's table (16 ways per set behind one cache line of the "
        out += "set's tags and ages) in the same rounds: a set-associative array shared by every CPU, 4 ways of one cache "
        out += "line per set and no line of tags, a million ways, run by the candidate program usher_cand_sa (the "
        out += "balancer's dsr path with that table: Benchmarks/BPF/usher_cand_sa.c). *Aged*: full, every way holding "
        out += "another flow, as such a table always is once it has run a while (a new flow replaces its set's least "
        out += "recently seen way):\n\n"
        out += "| path | ns per packet | own ns | ratio to floor |\n|---|---|---|---|\n"
        for row in rows {
            out += "| \(row.title) | \(Fmt.ns(row.ns)) | \(Fmt.ns(row.ownNs)) | \(Fmt.ratio(row.ratioToFloor)) |\n"
        }
        return out + "\n"
    }

    static func whereTimeGoes(_ r: XDPCostResult) -> String {
        guard !r.targets.allSatisfy(\.met) else { return "" }
        var out = "### Where the time goes\n\n"
        func own(_ id: String) -> Double? { r.rows.first { $0.id == id }?.ownNs.median }
        if let floor = own("floor-v4"), let nonVIP = own("non-vip-v4"), let est = own("established-dsr-l2-v4"),
           let first = own("first-dsr-l2-v4") {
            out += "From the paths' own costs (IPv4, medians): parsing and MAC rewrite as the floor does them take "
            out += "\(Int(floor)) ns; a non-VIP packet adds \(Int(nonVIP - floor)) ns over that (two reads of the address "
            out += "filter, which finds no VIP or SNAT address in the destination's slot and no gateway real in the source's, "
            out += "and one per-CPU counter); "
            out += "an established dsr-l2 flow \(Int(est - nonVIP)) ns over a non-VIP packet (the flow hash, its set's line "
            out += "of tags and the way whose tag matches: the flow in the flow table, whose way names its "
            out += "service, read from an array by id and checked against the packet's VIP (Docs/ARCHITECTURE.md, "
            out += "\"Established flows first\"); the real's entry, the clock read once per tick, four per-CPU counters); a "
            out += "first packet (the handshake's ACK, which makes the entry) \(Int(first - est)) ns over an established one "
            out += "(the flow table's miss, then the VIP's service, two lookups in the service's Maglev table, "
            out += "and the insert into the flow table: its way chosen from the set's line of tags and written, and the "
            out += "cache misses of a table of two million ways).\n\n"
        }
        for p in r.profiles where !p.symbols.isEmpty {
            out += "`perf record -e cpu-clock` while `\(p.caseName)` runs (this process's samples; *harness* marks the "
            out += "wrapper and the test-run loop):\n\n| symbol | % |\n|---|---|\n"
            for s in p.symbols.prefix(10) {
                out += "| `\(s.name)`\(s.harness ? " (harness)" : "") | \(String(format: "%.1f", s.percent)) |\n"
            }
            out += "\n"
        }
        return out
    }

    static func flows(_ r: FlowScaleResult) -> String {
        var out = "## 2. Many flows\n\n"
        out += "Established dsr-l2 flows (IPv4) with the flow table (sized for 1,048,576 flows, in twice as many ways) "
        out += "holding N flows, each packet a different tracked flow in a scattered order; and new flows into a full "
        out += "table, where every insert replaces its set's least recently seen way. *Table full before*: every way held "
        out += "another flow before the flows were written, the state a long-running balancer's table is in. "
        out += "\(r.rounds) rounds of \(r.iterations) packets; "
        out += "every packet checked to be `tx` (new flows: counted `ct_confirmed`, an entry made). A set of 16 ways can "
        out += "overflow while the table has room, so the established rows give the share of packets that found their "
        out += "flow (counted `ct_hit`; the least of the rounds). The 4-way candidate of part 1 runs 524,288 flows in its "
        out += "table of a million ways, full of other flows before, the flows' entries made by their own first packets; "
        out += "a flow whose set is full of this run's flows evicts one of them.\n\n"
        out += "| flows | ns per packet | own ns | packets per second, one core (own cost) |\n|---|---|---|---|\n"
        for row in r.established + (r.newFlows.map { [$0] } ?? []) {
            let pps = 1e9 / Swift.max(row.ownNs.median, 1)
            let found = row.found.map { String(format: " (flows found: %.2f%%)", $0 * 100) } ?? ""
            out += "| \(row.label)\(found) | \(Fmt.ns(row.ns)) | \(Fmt.ns(row.ownNs)) | \(String(format: "%.2f M", pps / 1e6)) |\n"
        }
        if let aged = r.established.first(where: { $0.aged == true && $0.tracked == 1_000_000 }) {
            let target = FlowScale.baseline1M / 2, own = aged.ownNs.median
            out += String(format: "\n**Target** (1,000,000 established flows, table full before: at most half of the %.0f own ns "
                + "measured fresh when issue 10 was filed, %.0f ns): %.0f ns, **%@**.", FlowScale.baseline1M, target, own,
                own <= target ? "met" : "missed")
            out += "\n"
        }
        return out + "\n"
    }

    static func control(_ r: ControlPlaneResult) -> String {
        var out = "## 4. Control plane\n\nMedians (min–max) in milliseconds unless marked µs.\n\n| what | time |\n|---|---|\n"
        for t in r.maglev + r.apply + r.changeToPacket {
            out += "| \(t.what) | \(Fmt.ms(t.ms)) |\n"
        }
        out += "\nThe change-to-packet times are in-process `apply` calls watched by a thread that runs one packet "
        out += "at a time through the balancer (a few µs each) on the same maps.\n\n"
        if let l = r.underLoad {
            out += "**No packet lost while tables change**: \(l.changes) changes (a real added, drained, reweighted, removed; "
            out += "a service added and removed) applied in \(l.seconds) s while a thread ran packets of 65,536 flows "
            out += "through the balancer: \(l.packets) packets, \(l.forwarded) forwarded, **\(l.lost) lost**"
            if !l.otherReasons.isEmpty {
                out += " (" + l.otherReasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
            }
            out += ", as the data plane's own counters tell.\n\n"
        }
        return out
    }
}
