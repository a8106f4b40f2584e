/// A router this balancer holds a BGP session with.
public struct BGPNeighbor: Hashable, Sendable, Codable {
    public var address: IPAddress
    public var remoteAS: UInt32

    public init(address: IPAddress, remoteAS: UInt32) {
        self.address = address
        self.remoteAS = remoteAS
    }
}
