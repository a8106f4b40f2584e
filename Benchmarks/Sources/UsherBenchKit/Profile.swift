import Foundation
import UsherBPF

/// Where the time of a path goes: `perf record` (cpu-clock, every CPU) while the path runs in a
/// loop, then the kernel symbols of this process's samples. The harness's own symbols (the
/// wrapper, the test-run loop) are marked so that the reader can set them aside.
struct Profile {
    var seconds = 3

    static var perf: String? {
        ["/usr/bin/perf", "/usr/sbin/perf"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The top symbols (percent of this process's samples) while `step` runs over and over.
    func symbols(_ step: () throws -> Void) throws -> [XDPCostResult.Symbol] {
        guard let perf = Self.perf else { return [] }
        let data = NSTemporaryDirectory() + "usher-bench-\(getpid()).perf"
        defer { unlink(data) }
        let record = Process()
        record.executableURL = URL(fileURLWithPath: perf)
        record.arguments = ["record", "-q", "-e", "cpu-clock", "-a", "-o", data, "--", "sleep", "\(seconds)"]
        record.standardOutput = FileHandle.nullDevice
        record.standardError = FileHandle.nullDevice
        try record.run()
        let deadline = monotonicNanoseconds() + UInt64(seconds + 10) * 1_000_000_000
        while record.isRunning, monotonicNanoseconds() < deadline { try step() }
        if record.isRunning { record.terminate() }
        record.waitUntilExit()
        let report = Process()
        report.executableURL = URL(fileURLWithPath: perf)
        report.arguments = ["report", "-i", data, "--stdio", "--comm", ProcessInfo.processInfo.processName,
                            "--sort", "sym", "--percent-limit", "1.5"]
        let pipe = Pipe()
        report.standardOutput = pipe
        report.standardError = FileHandle.nullDevice
        try report.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        report.waitUntilExit()
        return Self.parse(text)
    }

    /// Lines like `    18.96%  [k] lookup_nulls_elem_raw`.
    static func parse(_ text: String) -> [XDPCostResult.Symbol] {
        text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 3, !line.hasPrefix("#"), parts[0].hasSuffix("%"),
                  let percent = Double(parts[0].dropLast()) else { return nil }
            let name = parts[2...].joined(separator: " ")
            return XDPCostResult.Symbol(name: name, percent: percent, harness: harness(name))
        }
    }

    /// Symbols of the measuring harness, not of the program under test.
    static func harness(_ name: String) -> Bool {
        ["usher_bench_wrap", "bpf_xdp_store_bytes", "bpf_test_run", "bpf_xdp_adjust_head", "bpf_xdp_pointer",
         "bpf_xdp_copy_buf", "__pi_memcpy", "memcpy"].contains { name.contains($0) }
    }
}
