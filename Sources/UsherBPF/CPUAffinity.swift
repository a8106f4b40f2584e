import Foundation

/// Runs work on each CPU in turn by setting the calling thread's affinity (sched_setaffinity,
/// looked up at run time: Swift's Glibc does not import the GNU scheduling calls).
package enum CPUAffinity {
    private typealias Call = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32

    /// Calls `body` once on each of CPUs 0..<cpus that the thread may run on, then restores the
    /// thread's affinity (also when `body` throws).
    package static func forEach(cpus: Int, _ body: (Int) throws -> Void) throws {
        guard let getSymbol = dlsym(nil, "sched_getaffinity"), let setSymbol = dlsym(nil, "sched_setaffinity") else {
            throw BPFError(call: "dlsym", subject: "sched_setaffinity", message: "the C library has no sched_setaffinity")
        }
        let get = unsafeBitCast(getSymbol, to: Call.self), set = unsafeBitCast(setSymbol, to: Call.self)
        let size = MemoryLayout<cpu_set_t>.size
        var saved = cpu_set_t()
        guard get(0, size, &saved) == 0 else {
            throw BPFError(call: "sched_getaffinity", subject: "this thread", errno: errno, message: "cannot read its CPUs")
        }
        defer { _ = set(0, size, &saved) }
        let allowed = withUnsafeBytes(of: saved) { Array($0) }
        for cpu in 0..<min(cpus, size * 8) where allowed[cpu / 8] & (1 << (cpu % 8)) != 0 {
            var one = cpu_set_t()
            withUnsafeMutableBytes(of: &one) { $0[cpu / 8] = 1 << (cpu % 8) }
            guard set(0, size, &one) == 0 else {
                throw BPFError(call: "sched_setaffinity", subject: "CPU \(cpu)", errno: errno, message: "cannot move this thread there")
            }
            try body(cpu)
        }
    }
}
