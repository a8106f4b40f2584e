import Foundation
import Testing

/// Whether this process can use the real kernel: root, and bpffs mounted at /sys/fs/bpf.
public enum Privileges {
    public static let rootAndBPFFS: Bool = {
        guard geteuid() == 0 else { return false }
        guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return false }
        return mounts.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 2 && fields[1] == "/sys/fs/bpf" && fields[2] == "bpf"
        }
    }()

    /// The skip message of tests that need the real kernel.
    public static let requirement: Comment = "needs root and bpffs (mount -t bpf bpf /sys/fs/bpf)"
}
