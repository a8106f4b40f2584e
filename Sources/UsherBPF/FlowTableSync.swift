import Foundation

/// The tables' side of flow-state sync, for the sync service: which flows changed since the
/// last round (or all of them, for a peer that just appeared), and writing what peers sent.
/// Not thread-safe: one owner calls it (the sync service's actor).
public final class FlowTableSync {
    /// How a batch of received flows went.
    public struct ApplyCounts: Hashable, Sendable {
        public var written = 0
        /// Not written: the local entry (or the local holder of its SNAT port) is as new or newer.
        public var keptLocal = 0
        /// Not written: no such service, real or interface on this balancer.
        public var unmapped = 0
        public init() {}
    }

    /// Entries stamped this far before a round's start are still taken by the next one: the data
    /// plane's coarse clock lags CLOCK_MONOTONIC by up to a tick.
    static let overlapNanoseconds: UInt64 = 50_000_000
    /// The index is read again when older than this.
    static let indexLifetimeNanoseconds: UInt64 = 1_000_000_000
    /// Written flows are remembered this many rounds, so that they are not sent back.
    static let echoRounds = 8

    let dataplane: Dataplane
    private var index: FlowSyncIndex?
    private var lastRound: UInt64 = 0
    private var round = 0
    /// Flows written from peers, with the times written and the round: a scan that finds them
    /// unchanged does not send them back.
    private var echoes: [FlowKeyID: (lastSeen: UInt64, replyLastSeen: UInt64, round: Int)] = [:]

    /// Opens the tables pinned in `pinDirectory` (they must exist: the daemon's first apply made them).
    public init(pinDirectory: String) throws {
        dataplane = try Dataplane(pinDirectory: pinDirectory, createIfMissing: false)
    }

    /// The flows whose last packet came since the previous call (the first call: all of them),
    /// except those that only hold what a peer sent.
    public func changes() throws -> [FlowRecord] {
        let now = Dataplane.monotonicNanoseconds()
        let since = lastRound > Self.overlapNanoseconds ? lastRound - Self.overlapNanoseconds : 0
        lastRound = now
        round += 1
        echoes = echoes.filter { round - $0.value.round <= Self.echoRounds }
        return try scan(since: since, now: now).filter { flow in
            guard let echo = echoes[flow.key] else { return true }
            return echo.lastSeen != flow.lastSeen || echo.replyLastSeen != flow.replyLastSeen
        }.map(\.record)
    }

    /// Every flow of the tables (a full pass, for a peer that appeared).
    public func all() throws -> [FlowRecord] {
        try scan(since: 0, now: Dataplane.monotonicNanoseconds()).map(\.record)
    }

    /// Writes the received flows under `FlowMerge`'s rule.
    public func apply(_ records: [FlowRecord]) throws -> ApplyCounts {
        var counts = ApplyCounts()
        guard !records.isEmpty else { return counts }
        let now = Dataplane.monotonicNanoseconds()
        var index = try currentIndex(now: now)
        for record in records {
            switch try dataplane.writeFlow(record, now: now, index: &index) {
            case let .written(key, lastSeen, replyLastSeen):
                counts.written += 1
                echoes[key] = (lastSeen, replyLastSeen, round)
            case .keptLocal: counts.keptLocal += 1
            case .unmapped: counts.unmapped += 1
            }
        }
        self.index = index
        return counts
    }

    private func scan(since: UInt64, now: UInt64) throws -> [ScannedFlow] {
        var index = try currentIndex(now: now)
        defer { self.index = index }
        return try dataplane.scanFlows(since: since, now: now, index: &index)
    }

    private func currentIndex(now: UInt64) throws -> FlowSyncIndex {
        if let index, now - index.builtAt < Self.indexLifetimeNanoseconds { return index }
        let fresh = try FlowSyncIndex(dataplane, now: now)
        index = fresh
        return fresh
    }
}
