import Foundation

/// The commands and system calls the lab of part 3 is built with: `ip`, `ethtool`, `nft` run as
/// processes (bounded by a timeout), and the calling thread moved into a network namespace or
/// onto CPUs for the BPF calls that act on "this namespace" or "this CPU".
public enum LabShell {
    /// A lab step that failed: what was run and what it said.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs `arguments` (the first found in /usr/sbin, /usr/bin, /sbin, /bin) and returns its
    /// standard output; throws with its standard error if it fails or outlives `timeout` seconds.
    @discardableResult
    public static func run(_ arguments: [String], input: String? = nil, timeout: Double = 20) throws -> String {
        guard let tool = arguments.first, let path = which(tool) else {
            throw Failure(description: "\(arguments.first ?? "?") is not installed (run Tools/install-deps)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = Array(arguments.dropFirst())
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            inPipe.fileHandleForWriting.write(Data(input.utf8))
            try? inPipe.fileHandleForWriting.close()
        }
        let deadline = monotonicNanoseconds() + UInt64(timeout * 1e9)
        // Read while it runs, so that a full pipe never stalls it.
        let collected = Shared(Data()), collectedErr = Shared(Data())
        let group = DispatchGroup()
        for (pipe, sink) in [(out, collected), (err, collectedErr)] {
            group.enter()
            DispatchQueue.global().async {
                sink.value = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
        }
        while process.isRunning, monotonicNanoseconds() < deadline { usleep(2000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw Failure(description: "`\(arguments.joined(separator: " "))` did not finish within \(Int(timeout)) s")
        }
        process.waitUntilExit()
        group.wait()
        let stdout = String(decoding: collected.value, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            let said = String(decoding: collectedErr.value, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(description: "`\(arguments.joined(separator: " "))` failed (exit \(process.terminationStatus))" +
                (said.isEmpty ? "" : ": \(said)"))
        }
        return stdout
    }

    static func which(_ tool: String) -> String? {
        if tool.hasPrefix("/") { return tool }
        return ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map { "\($0)/\(tool)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `body` with the calling thread in network namespace `name` (/run/netns/NAME), then
    /// moves it back, whatever `body` does.
    public static func inNamespace<T>(_ name: String, _ body: () throws -> T) throws -> T {
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard home >= 0 else { throw Failure(description: "cannot open this thread's network namespace: \(String(cString: strerror(errno)))") }
        defer { close(home) }
        let target = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw Failure(description: "no network namespace \(name): \(String(cString: strerror(errno)))") }
        defer { close(target) }
        guard c_setns(target, cloneNewNet) == 0 else {
            throw Failure(description: "setns into \(name): \(String(cString: strerror(errno)))")
        }
        defer { _ = c_setns(home, cloneNewNet) }
        return try body()
    }

    /// Runs `body` with the calling thread allowed only on `cpus`, then restores its CPUs.
    public static func onCPUs<T>(_ cpus: [Int], _ body: () throws -> T) throws -> T {
        var saved = CPUMask()
        guard c_sched_getaffinity(0, MemoryLayout<CPUMask>.size, &saved) == 0 else {
            throw Failure(description: "sched_getaffinity: \(String(cString: strerror(errno)))")
        }
        try setAffinity(pid: 0, cpus: cpus)
        defer { _ = c_sched_setaffinity(0, MemoryLayout<CPUMask>.size, &saved) }
        return try body()
    }

    /// Allows task `pid` (0: the calling thread) only on `cpus`.
    public static func setAffinity(pid: Int32, cpus: [Int]) throws {
        var set = CPUMask()
        withUnsafeMutableBytes(of: &set) { bytes in
            for cpu in cpus where cpu >= 0 && cpu < bytes.count * 8 { bytes[cpu / 8] |= UInt8(1 << (cpu % 8)) }
        }
        guard c_sched_setaffinity(pid, MemoryLayout<CPUMask>.size, &set) == 0 else {
            throw Failure(description: "sched_setaffinity of task \(pid) to CPUs \(cpus): \(String(cString: strerror(errno)))")
        }
    }

    /// The CPUs task `pid` may run on.
    public static func affinity(pid: Int32) -> [Int] {
        var set = CPUMask()
        guard c_sched_getaffinity(pid, MemoryLayout<CPUMask>.size, &set) == 0 else { return [] }
        return withUnsafeBytes(of: &set) { bytes in
            (0..<(bytes.count * 8)).filter { bytes[$0 / 8] & UInt8(1 << ($0 % 8)) != 0 }
        }
    }

    /// CLONE_NEWNET of <sched.h>.
    static let cloneNewNet: Int32 = 0x4000_0000
}

/// A CPU set of 1,024 CPUs, as the kernel's cpu_set_t.
private struct CPUMask {
    var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
}

// glibc exports these under _GNU_SOURCE only, which the Swift Glibc module does not define.
@_silgen_name("setns") private func c_setns(_ fd: Int32, _ nstype: Int32) -> Int32
@_silgen_name("sched_setaffinity") private func c_sched_setaffinity(_ pid: Int32, _ size: Int, _ mask: UnsafeRawPointer) -> Int32
@_silgen_name("sched_getaffinity") private func c_sched_getaffinity(_ pid: Int32, _ size: Int, _ mask: UnsafeMutableRawPointer) -> Int32
