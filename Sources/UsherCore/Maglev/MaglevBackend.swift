/// One candidate of a Maglev table: a stable identity (its key) and its relative weight.
public struct MaglevBackend: Hashable, Sendable {
    /// Identifies the backend across table rebuilds and across balancers, e.g. a real's address
    /// bytes. Two backends must not share a key.
    public var key: [UInt8]
    /// Relative share of the slots; 0 gives none.
    public var weight: UInt32

    public init(key: [UInt8], weight: UInt32) {
        self.key = key
        self.weight = weight
    }
}
