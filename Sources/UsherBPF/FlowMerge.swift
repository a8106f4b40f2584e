/// The rule that decides whether a flow received from a peer is written over the local tables
/// (Docs/ARCHITECTURE.md, "Flow-state sync"). Times are the local CLOCK_MONOTONIC in ns; a
/// received entry's time is the local now minus the age the sender stamped.
///
/// A received flow is written when the balancer has no entry for it, or only an older one
/// (its last packet, in either direction, seen earlier than the received one's): a newer
/// local entry is never overwritten. For a nat flow, its reply tuple (which holds its SNAT
/// port) must be free, already this flow's, or held by another flow whose last packet is
/// older too; otherwise nothing of the flow is written, so a port a local flow uses is never
/// handed to a synced one.
public enum FlowMerge {
    public enum Decision: Equatable, Sendable {
        case write
        /// The local entry (or the local holder of the reply tuple) is as new or newer.
        case keepLocal
    }

    /// The decision for one flow. `local`: the local entry's last packet, nil if none;
    /// `tupleHolder`: for a nat flow whose reply tuple is held locally by another flow, that
    /// flow's last packet.
    public static func decide(received: UInt64, local: UInt64?, tupleHolder: UInt64? = nil) -> Decision {
        if let local, local >= received { return .keepLocal }
        if let tupleHolder, tupleHolder >= received { return .keepLocal }
        return .write
    }

    /// The local time of a packet `ageMilliseconds` before `now` (never before 0).
    public static func localTime(now: UInt64, ageMilliseconds: UInt32) -> UInt64 {
        let age = UInt64(ageMilliseconds) * 1_000_000
        return now > age ? now - age : 0
    }

    /// The age of a packet seen at `lastSeen`, in whole milliseconds, capped to UInt32.
    public static func age(now: UInt64, lastSeen: UInt64) -> UInt32 {
        guard now > lastSeen else { return 0 }
        return UInt32(min((now - lastSeen) / 1_000_000, UInt64(UInt32.max)))
    }
}
