import Foundation
import UsherBPF

/// One measured run of part 3 in the lab: pins the threads, sends, waits for the last frames
/// to land, and reads what the receivers counted and what the balancer's core spent.
struct LabRunner {
    let lab: PPSLab
    let generator: XDPLiveGenerator
    let balancerCpu: Int
    let others: [Int]
    /// Seconds after which a run stops sending.
    let deadline: Double
    /// The generator's iteration counter: it goes on across runs, so flows are visited in order.
    var iteration: UInt64 = 0
    static let chunk: UInt32 = 1 << 20

    /// Pins the balancer's receive thread to its CPU and every other lab thread to the other
    /// CPUs (the NAPI threads are made anew when a forwarder's XDP program comes or goes), and
    /// gives the receive threads real-time priority: each runs whenever it has frames, so the
    /// balancer's core is its own and the generator never starves the wire or the receivers.
    /// Returns what was found, for the report.
    func pin() throws -> [String] {
        let threads = lab.napiThreads()
        guard let balancer = threads.balancer else {
            throw LabShell.Failure(description: "no NAPI thread for \(lab.lbPort): threaded NAPI did not take " +
                "(echo 1 > /sys/class/net/\(lab.lbPort)/threaded in \(lab.lb))")
        }
        try LabShell.setAffinity(pid: balancer, cpus: [balancerCpu])
        try LabShell.run(["chrt", "-f", "-p", "50", "\(balancer)"])
        var notes = ["balancer's receive thread napi/\(lab.lbPort) (pid \(balancer)) on CPUs \(LabShell.affinity(pid: balancer)), SCHED_FIFO 50"]
        for (port, pid) in threads.others {
            guard let pid else {
                throw LabShell.Failure(description: "no NAPI thread for \(port): threaded NAPI did not take")
            }
            try LabShell.setAffinity(pid: pid, cpus: others)
            try LabShell.run(["chrt", "-f", "-p", "40", "\(pid)"])
            notes.append("napi/\(port) on CPUs \(LabShell.affinity(pid: pid)), SCHED_FIFO 40")
        }
        notes.append("generator thread on CPUs \(others), SCHED_OTHER (the receive threads preempt it)")
        return notes
    }

    /// Sends `frames` frames (fewer if the deadline passes) and measures.
    mutating func measure(frames: UInt32) throws -> LabPPSResult.Run {
        let countersBefore = try arrivals()
        let thread = lab.napiThreads().balancer
        let threadBefore = thread.flatMap(LabCPU.taskNanoseconds)
        let ticksBefore = LabCPU.ticks(cpu: balancerCpu)
        var sent: UInt64 = 0, ns: UInt64 = 0
        let start = monotonicNanoseconds(), limit = UInt64(deadline * 1e9)
        let gen = generator, port = lab.genPort
        try LabShell.inNamespace(lab.gen) {
            try LabShell.onCPUs(others) {
                while sent < UInt64(frames), monotonicNanoseconds() - start < limit {
                    let n = UInt32(min(UInt64(Self.chunk), UInt64(frames) - sent))
                    ns += try gen.send(count: n, interface: port, firstIteration: iteration)
                    iteration += UInt64(n)
                    sent += UInt64(n)
                }
            }
        }
        let ticksAfter = LabCPU.ticks(cpu: balancerCpu)
        let threadAfter = thread.flatMap(LabCPU.taskNanoseconds)
        // The last frames are still in the veths' rings (at most a few hundred): wait until the
        // receivers' counts stop moving.
        var counted = try arrivals(), stable = 0
        let settleLimit = monotonicNanoseconds() + 2_000_000_000
        while stable < 5, monotonicNanoseconds() < settleLimit {
            usleep(2000)
            let now = try arrivals()
            stable = now == counted ? stable + 1 : 0
            counted = now
        }
        let perReal = zip(counted, countersBefore).map { $0 - $1 }
        var threadSeconds: Double?
        if let a = threadBefore, let b = threadAfter, b >= a { threadSeconds = Double(b - a) / 1e9 }
        return LabPPSResult.Run(sent: sent, counted: perReal.reduce(0, +), perReal: perReal, seconds: Double(ns) / 1e9,
                                balancerCpuBusyPercent: LabCPU.busyPercent(ticksBefore, ticksAfter),
                                balancerThreadSeconds: threadSeconds, dataplaneForwarded: nil)
    }

    /// What each real's receiver has counted so far.
    private func arrivals() throws -> [UInt64] {
        try lab.counters.map { try $0.arrived().packets }
    }
}
