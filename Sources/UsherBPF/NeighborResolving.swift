import UsherCore

/// Finds the next hop of a real server's address. `Dataplane.apply` asks it for every real
/// without an explicit `mac:` before it writes anything, so a failure changes nothing.
/// `SystemNeighborResolver` asks the kernel; tests give fixed answers.
public protocol NeighborResolving {
    /// The next hop towards `address`, or a thrown error that names the address and says why.
    func nextHop(for address: IPAddress) throws -> NextHop

    /// The next hop as the kernel knows it right now, without provoking resolution or waiting;
    /// nil when there is no usable entry. Used for reals already in the maps, so that a change
    /// never waits on (or fails because of) a real server that stopped answering.
    func currentNextHop(for address: IPAddress) -> NextHop?
}

extension NeighborResolving {
    public func currentNextHop(for address: IPAddress) -> NextHop? {
        try? nextHop(for: address)
    }
}
