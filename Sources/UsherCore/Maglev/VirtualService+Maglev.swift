extension VirtualService {
    /// The service's Maglev table: for each of its `maglevTableSize` slots, the index into
    /// `reals` of the real owning it, or -1 when no real has a weight above zero. Reals are
    /// keyed by their address bytes, so a real keeps its slots whatever its position in the list.
    public var maglevTable: [Int32] {
        Maglev.table(backends: reals.map { MaglevBackend(key: $0.address.bytes, weight: $0.weight) },
                     size: Int(maglevTableSize))
    }
}
