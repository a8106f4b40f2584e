/// Why the pair cannot be run, with what to do.
public struct HAError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    static func noPeer(_ peers: [String]) -> HAError {
        HAError("ha.peers lists only this balancer's own addresses (\(peers.joined(separator: ", "))): " +
                "add the other balancer's address on the segment")
    }

    static func missingKeepalived(_ path: String) -> HAError {
        HAError("keepalived is not installed at \(path), and the config has an `ha:` section: " +
                "install it (apt-get install keepalived) or remove `ha:`")
    }
}
