import Foundation

/// Progress lines on stderr (stdout is left to results).
public enum Progress {
    nonisolated(unsafe) public static var quiet = false

    public static func say(_ line: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data(("bench: " + line + "\n").utf8))
    }
}

/// Monotonic time in nanoseconds.
public func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
