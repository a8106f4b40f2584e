import UsherCore

/// One real entry whose next hop `Dataplane.refreshNextHops(resolver:)` rewrote: which
/// (service, real) membership, what it was and what it is now.
public struct NextHopChange: Hashable, Sendable, CustomStringConvertible {
    /// The real id (the usher_reals_v3 index) of the membership.
    public var realID: UInt32
    public var serviceID: UInt32
    public var address: IPAddress
    /// The next hop the entry had. The maps do not keep interface names or gateways, so its
    /// `interface` reads "ifindex N" and its `gateway` is nil.
    public var old: NextHop
    public var new: NextHop

    public init(realID: UInt32, serviceID: UInt32, address: IPAddress, old: NextHop, new: NextHop) {
        self.realID = realID
        self.serviceID = serviceID
        self.address = address
        self.old = old
        self.new = new
    }

    public var description: String {
        "real \(address) (service id \(serviceID), real id \(realID)): next hop \(old.mac) on ifindex \(old.ifindex) → \(new)"
    }
}
