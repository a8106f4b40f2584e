import Foundation

/// Section 3 of Docs/BENCHMARKS.md: packets per second through the lab.
extension ReportText {
    static let labNotRun = "## 3. Packets per second through the lab\n\nNot run yet: `Tools/bench lab-pps`.\n\n"

    static func lab(_ r: LabPPSResult) -> String {
        var out = "## 3. Packets per second through the lab\n\n"
        out += """
            **The lab** (network namespaces `upps-TAG-*`, veth pairs, documentation addresses only): a generator
            namespace sends with our own generator, `usher_bench_gen` run by BPF_PROG_TEST_RUN with
            `BPF_F_TEST_XDP_LIVE_FRAMES` (each frame XDP_TX'd out of its veth, exactly the count asked for);
            the balancer namespace has one port (one arm, one receive queue) and forwards to three real-server
            namespaces, whose XDP program `usher_bench_count` counts every frame that arrives. What the balancer
            sends back out of its port reaches the generator namespace's end of the veth, where `usher_bench_switch`
            (an XDP switch by destination MAC) hands it to the real's veth: no bridge, no kernel stack on the
            way back. Frames: \(r.frame), the IPv4 and TCP checksums valid (the generator updates the TCP
            checksum as it varies the port), so that the kernel's stack takes them as a NIC would deliver them.


            """
        out += "**One core for the balancer.** Every veth's receive processing runs in its own kernel thread "
        out += "(threaded NAPI, `/sys/class/net/IF/threaded`). The balancer's is pinned alone to CPU \(r.balancerCpu) "
        out += "with real-time priority (SCHED_FIFO), so that it runs whenever it has frames and nothing of the lab shares "
        out += "its core; the generator, the wire and the receivers share CPU \(r.otherCpus.map(String.init).joined(separator: ", ")) "
        out += "(their receive threads also SCHED_FIFO, above the generator, so that what the balancer forwards is never "
        out += "lost behind it). The balancer's whole job — XDP program and transmit for Usher and the floor; "
        out += "skb, routing, conntrack, DNAT and transmit for nftables — runs in that one thread. As found in the run:\n\n"
        out += r.pinning.map { "- \($0)" }.joined(separator: "\n") + "\n\n"
        out += "**The forwarders.** *Usher*: `usher_balance` attached (XDP, native) to the balancer's port, one dsr-l2 "
        out += "service over the three reals. *nftables*: no XDP program on the balancer (GRO on, so the veth still "
        out += "receives); the kernel routes, tracks and DNATs each packet with kube-proxy's layout (a verdict map of "
        out += "services, `numgen random mod 3` over endpoint chains, `dnat to` each real; no filter rules, no masquerade). "
        out += "*Floor*: `usher_floor` (swap MACs, XDP_TX), the least any XDP forwarder can do; its frames all go to real1. "
        out += "Each of \(r.rounds) rounds runs the three in turn in the same lab: a warm-up that sends every flow at least "
        out += "once (established flows are measured, conntrack entries and LRU flows in place), then \(r.framesPerRun) frames.\n\n"
        out += "*Offered*: frames sent per second of the generator's run; *forwarded*: frames counted at the reals in that "
        out += "time; *loss*: sent but not counted (dropped where the balancer could not keep up: its receive ring); "
        out += "*core busy*: the balancer's CPU, all of its tasks (/proc/stat; on a shared machine, others' too); "
        out += "*thread busy*: the share of the run the balancer's receive thread was on that CPU (/proc/PID/schedstat); "
        out += "*thread ns per packet*: its CPU time per forwarded packet — the balancer's cost per packet whether or not "
        out += "the generator filled its core.\n\n"
        out += "| forwarder | offered Mpps | forwarded Mpps | loss % | core busy % | thread busy % | thread ns per packet |\n"
        out += "|---|---|---|---|---|---|---|\n"
        for row in r.rows {
            out += "| \(row.title) | \(Fmt.mpps(row.offeredMpps)) | \(Fmt.mpps(row.forwardedMpps)) | \(Fmt.pct(row.lossPercent)) "
            out += "| \(row.balancerCpuBusyPercent.map(Fmt.pct) ?? "—") | \(row.threadBusyPercent.map(Fmt.pct) ?? "—") "
            out += "| \(row.threadNsPerPacket.map(Fmt.ns) ?? "—") |\n"
        }
        out += "\n"
        if let ratio = r.ratioToNftables {
            let met = ratio.median >= LabPPSResult.target
            out += "**Target** (one balancer core forwards ≥ \(Int(LabPPSResult.target))× the packets per second of nftables DNAT): "
            out += "Usher / nftables = \(Fmt.ratio(ratio)): **\(met ? "met" : "missed")**."
            if let usher = r.rows.first(where: { $0.forwarder == .usher }), let busy = usher.threadBusyPercent?.median,
               busy < 90, usher.lossPercent.median < 1 {
                out += " Usher's figure here is the generator's limit, not its own (its thread was \(Int(busy))% busy and lost "
                out += "nothing), so this ratio understates it."
            }
            if let cpu = r.cpuRatioToNftables {
                out += " By CPU time per forwarded packet on the balancer's core, nftables costs \(Fmt.ratio(cpu)) what Usher does."
            }
            out += "\n\n"
        }
        out += limits(r)
        if let usher = r.rows.first(where: { $0.forwarder == .usher }), let last = usher.runs.last {
            out += "Usher's last run spread its flows over the reals as \(last.perReal.map(String.init).joined(separator: " / ")) "
            out += "frames; its own counters said \(last.dataplaneForwarded.map(String.init) ?? "—") forwarded, the reals counted \(last.counted).\n\n"
        }
        return out
    }

    /// Which side limited each forwarder's figure, from the balancer thread's own busy share.
    static func limits(_ r: LabPPSResult) -> String {
        var notes: [String] = []
        for row in r.rows {
            guard let busy = row.threadBusyPercent?.median else { continue }
            let loss = row.lossPercent.median, name = "*\(row.forwarder.rawValue)*: "
            var note: String
            if busy >= 90 {
                note = name + "its thread \(Int(busy))% busy, " + String(format: "%.1f%%", loss) + " lost: the balancer's own limit"
            } else if loss < 1 {
                note = name + "nothing lost, its thread \(Int(busy))% busy: the generator, not the balancer, set this figure"
            } else {
                note = name + String(format: "%.1f%%", loss) + " lost while its thread was only \(Int(busy))% busy: frames "
                note += "arrived in bursts faster than the thread was woken (its receive ring holds 256), or the core was taken"
            }
            if busy < 90, let ns = row.threadNsPerPacket?.median, ns > 0 {
                note += String(format: "; at %.0f ns of its thread per packet the core alone would forward about %.2f Mpps", ns, 1e3 / ns)
            }
            notes.append(note + ".")
        }
        return notes.isEmpty ? "" : "**Who set each figure.** " + notes.joined(separator: " ") + "\n\n"
    }
}

extension Fmt {
    static func mpps(_ s: Summary) -> String { String(format: "%.3f (%.3f–%.3f)", s.median, s.min, s.max) }
    static func pct(_ s: Summary) -> String { String(format: "%.1f (%.1f–%.1f)", s.median, s.min, s.max) }
}
