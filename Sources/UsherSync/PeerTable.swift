import UsherCore

/// Which peers are present: a peer is present while valid messages keep coming from it (every
/// peer sends at least a heartbeat each round). A peer that appears (first heard, or heard
/// again after `presenceTimeout` of silence: it restarted, or the link came back) is owed a
/// full pass of the tables.
struct PeerTable {
    static let presenceTimeout: Duration = .seconds(2)

    struct Entry {
        var lastHeard: ContinuousClock.Instant?
        var appearances = 0
    }

    private(set) var entries: [IPAddress: Entry]
    /// Peers that appeared since the last `takeAppeared()`.
    private var appeared: Set<IPAddress> = []

    init(peers: [IPAddress]) {
        entries = Dictionary(uniqueKeysWithValues: peers.map { ($0, Entry()) })
    }

    func isPeer(_ address: IPAddress) -> Bool { entries[address] != nil }

    /// A valid message came from `peer` at `now`; true if the peer just appeared.
    @discardableResult
    mutating func heard(from peer: IPAddress, at now: ContinuousClock.Instant) -> Bool {
        guard var entry = entries[peer] else { return false }
        let appears = !isPresent(entry, at: now)
        entry.lastHeard = now
        if appears {
            entry.appearances += 1
            appeared.insert(peer)
        }
        entries[peer] = entry
        return appears
    }

    /// The peers owed a full pass; each is returned once per appearance.
    mutating func takeAppeared() -> Set<IPAddress> {
        defer { appeared = [] }
        return appeared
    }

    func isPresent(_ peer: IPAddress, at now: ContinuousClock.Instant) -> Bool {
        entries[peer].map { isPresent($0, at: now) } ?? false
    }

    private func isPresent(_ entry: Entry, at now: ContinuousClock.Instant) -> Bool {
        guard let last = entry.lastHeard else { return false }
        return now - last <= Self.presenceTimeout
    }
}
