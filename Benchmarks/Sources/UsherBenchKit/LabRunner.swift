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
        let balancer = try LabShell.pinReceiveThread(of: lab.lbPort, to: [balancerCpu], priority: 50)
        var notes = ["balancer's receive thread napi/\(lab.lbPort) (pid \(balancer)) on CPUs \(LabShell.affinity(pid: balancer)), SCHED_FIFO 50"]
        for port in [lab.genPort] + lab.reals.map(lab.realPort) {
            let pid = try LabShell.pinReceiveThread(of: port, to: others, priority: 40)
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
        let (sent, ns) = try Self.send(generator, frames: frames, from: lab.gen, port: lab.genPort, cpus: others,
                                       deadline: deadline, iteration: &iteration)
        let ticksAfter = LabCPU.ticks(cpu: balancerCpu)
        let threadAfter = thread.flatMap(LabCPU.taskNanoseconds)
        let counted = try Self.settled(arrivals)
        let perReal = zip(counted, countersBefore).map { $0 - $1 }
        var threadSeconds: Double?
        if let a = threadBefore, let b = threadAfter, b >= a { threadSeconds = Double(b - a) / 1e9 }
        return LabPPSResult.Run(sent: sent, counted: perReal.reduce(0, +), perReal: perReal, seconds: Double(ns) / 1e9,
                                balancerCpuBusyPercent: LabCPU.busyPercent(ticksBefore, ticksAfter),
                                balancerThreadSeconds: threadSeconds, dataplaneForwarded: nil)
    }

    /// Sends `frames` frames of `generator` out of `port` of `namespace` from `cpus`, in
    /// chunks, stopping early once `deadline` seconds have passed. Returns the frames sent and
    /// the generator's nanoseconds; `iteration` goes on from where the last call left it.
    static func send(_ generator: XDPLiveGenerator, frames: UInt32, from namespace: String, port: String, cpus: [Int],
                     deadline: Double, iteration: inout UInt64) throws -> (sent: UInt64, ns: UInt64) {
        var sent: UInt64 = 0, ns: UInt64 = 0, next = iteration
        let start = monotonicNanoseconds(), limit = UInt64(deadline * 1e9)
        try LabShell.inNamespace(namespace) {
            try LabShell.onCPUs(cpus) {
                while sent < UInt64(frames), monotonicNanoseconds() - start < limit {
                    let n = UInt32(min(UInt64(chunk), UInt64(frames) - sent))
                    ns += try generator.send(count: n, interface: port, firstIteration: next)
                    next += UInt64(n)
                    sent += UInt64(n)
                }
            }
        }
        iteration = next
        return (sent, ns)
    }

    /// The last frames are still in the veths' rings (at most a few hundred) when the generator
    /// returns: reads `counts` until they stop moving (2 s at most) and returns them.
    static func settled(_ counts: () throws -> [UInt64]) throws -> [UInt64] {
        var counted = try counts(), stable = 0
        let settleLimit = monotonicNanoseconds() + 2_000_000_000
        while stable < 5, monotonicNanoseconds() < settleLimit {
            usleep(2000)
            let now = try counts()
            stable = now == counted ? stable + 1 : 0
            counted = now
        }
        return counted
    }

    /// What each real's receiver has counted so far.
    private func arrivals() throws -> [UInt64] {
        try lab.counters.map { try $0.arrived().packets }
    }
}
