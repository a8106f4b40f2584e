/// What keepalived says this balancer is in its pair.
public enum HARole: String, Sendable, Codable, Hashable {
    /// keepalived runs but has not said yet (it starts as a backup).
    case starting
    /// Holds no VIP; takes them over when the active balancer falls silent.
    case backup
    /// Active: holds every VIP and shared address, answers ARP/ND for them.
    case master
    /// keepalived found the interface down (or the like): holds nothing, cannot take over.
    case fault
    /// keepalived is not running (it died and is being restarted, or the daemon is stopping).
    case stopped

    /// The role in a line of keepalived's notify FIFO for `instance`, e.g.
    /// `INSTANCE "usher" MASTER 100`; nil for any other line (another instance, a group).
    public init?(notifyLine line: String, instance: String) {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 3, words[0] == "INSTANCE", words[1] == "\"\(instance)\"" else { return nil }
        switch words[2] {
        case "MASTER": self = .master
        case "BACKUP": self = .backup
        case "FAULT": self = .fault
        case "STOP": self = .stopped
        default: return nil
        }
    }
}
