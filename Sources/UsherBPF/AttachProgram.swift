/// Which of Usher's XDP programs to attach.
public enum AttachProgram: String, Hashable, Codable, Sendable, CaseIterable {
    /// `usher_balance`: the load balancer, using the pinned maps.
    case balancer
    /// `usher_pass`: passes every frame. A veth only receives frames its peer sends with
    /// XDP_TX/XDP_REDIRECT when it has an XDP program itself; labs attach this one there.
    case pass

    /// The program's name in the kernel.
    public var programName: String {
        switch self {
        case .balancer: return "usher_balance"
        case .pass: return "usher_pass"
        }
    }

    /// The embedded object holding the program.
    var objectName: String {
        switch self {
        case .balancer: return "usher_xdp"
        case .pass: return "usher_pass"
        }
    }

    /// The program of this name, if it is one of Usher's.
    init?(programName: String) {
        guard let match = Self.allCases.first(where: { $0.programName == programName }) else { return nil }
        self = match
    }
}
