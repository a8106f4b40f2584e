import UsherCore

/// Finds the next hop of a real server's address. `Dataplane.apply` asks it for every real
/// without an explicit `mac:` before it writes anything, so a failure changes nothing.
/// `SystemNeighborResolver` asks the kernel; tests give fixed answers.
public protocol NeighborResolving {
    /// The next hop towards `address`, or a thrown error that names the address and says why.
    func nextHop(for address: IPAddress) throws -> NextHop
}
