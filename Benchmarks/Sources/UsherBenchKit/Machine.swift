import Foundation

/// The machine a run was made on, as the report describes it.
public struct Machine: Codable, Sendable {
    public var cpuModel: String
    public var cores: Int
    public var kernel: String
    public var memoryGiB: Double
    public var virtualized: String?
    /// Load average (1 minute) when the part started: a busy machine gives noisier figures.
    public var loadAverage: Double

    public static func current() -> Machine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let hypervisor = cpuinfo.contains(" hypervisor") ? "yes (the CPU flags say hypervisor)" : nil
        var uts = utsname()
        uname(&uts)
        let release = withUnsafeBytes(of: &uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let kb = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal") }?
            .split(separator: " ").compactMap { Double($0) }.first ?? 0
        let load = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "").split(separator: " ").first
            .flatMap { Double($0) } ?? 0
        return Machine(cpuModel: model, cores: ProcessInfo.processInfo.activeProcessorCount, kernel: release,
                       memoryGiB: (kb / 1_048_576 * 10).rounded() / 10, virtualized: hypervisor, loadAverage: load)
    }
}
