import CUsherABI
import UsherCore

extension Dataplane {
    /// Deletes the tracked flows of the given (service, real) memberships: their entries of
    /// usher_ct_v3 (dsr) and usher_nat_v2/usher_natrev_v2 (nat, gateway; which frees their SNAT
    /// ports), so the next packet of each such flow is scheduled again. Returns how many flows
    /// were removed (a nat flow counted once). One walk of each map.
    public func dropFlows(realIDs: Set<UInt32>) throws -> Int {
        guard !realIDs.isEmpty else { return 0 }
        var removed = 0
        removed += maps.flows.removeAll { _, flow in realIDs.contains(flow.real_id) }
        for (key, flow) in try maps.natFlows.entries(as: (usher_flow_key, usher_nat_flow).self)
        where realIDs.contains(flow.real_id) {
            if try maps.natFlows.delete(key) { removed += 1 }
        }
        for (key, reply) in try maps.natReplies.entries(as: (usher_flow_key, usher_nat_reply).self)
        where realIDs.contains(reply.real_id) {
            _ = try maps.natReplies.delete(key)
        }
        return removed
    }
}
