import Foundation

/// Phase times of one `apply`, printed to stderr only under `USHER_DEBUG=1`: where a slow apply
/// spends its time (reading the live tables, computing and filling Maglev tables, writing).
final class ApplyTimer {
    private var last = DispatchTime.now().uptimeNanoseconds
    private var phases: [(String, UInt64)] = []
    /// Time spent inside `measure` calls, by label (summed over calls).
    private var sums: [String: (ns: UInt64, count: Int)] = [:]
    private var order: [String] = []

    /// Ends the phase running since the previous mark (or the start) and names it.
    func mark(_ phase: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        phases.append((phase, now - last))
        last = now
    }

    /// Runs `body`, adding its time to `label`'s sum.
    func measure<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
        guard LibraryLog.debug else { return try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let spent = DispatchTime.now().uptimeNanoseconds - start
            if sums[label] == nil { order.append(label) }
            sums[label, default: (0, 0)].ns += spent
            sums[label, default: (0, 0)].count += 1
        }
        return try body()
    }

    /// Prints the phases (and the sums inside them) when debugging.
    func report() {
        guard LibraryLog.debug else { return }
        var text = "usher apply timing:"
        for (phase, ns) in phases { text += String(format: " %@ %.1f ms;", phase, Double(ns) / 1e6) }
        for label in order {
            guard let sum = sums[label] else { continue }
            text += String(format: " [%@ %.1f ms in %d]", label, Double(sum.ns) / 1e6, sum.count)
        }
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
