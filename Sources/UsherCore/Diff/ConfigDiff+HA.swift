extension ConfigDiff {
    /// What changes in `ha:`: each field of a kept section, or the whole section (field "")
    /// when it comes or goes (which a running daemon reads only when it starts).
    static func haChanges(from old: HASettings?, to new: HASettings?) -> [SettingChange] {
        guard old != new else { return [] }
        guard let old, let new else {
            return [SettingChange(field: "", from: old.map(summary) ?? "(none)", to: new.map(summary) ?? "(none)")]
        }
        let pairs: [(String, String, String)] = [
            ("interface", old.interface, new.interface),
            ("virtual-router-id", "\(old.virtualRouterID)", "\(new.virtualRouterID)"),
            ("priority", "\(old.priority)", "\(new.priority)"),
            ("peers", list(old.peers), list(new.peers)),
            ("advert-interval", "\(old.advertInterval)s", "\(new.advertInterval)s"),
            ("preempt", "\(old.preempt)", "\(new.preempt)"),
            ("addresses", old.addresses.map(\.description).joined(separator: ", "),
             new.addresses.map(\.description).joined(separator: ", ")),
        ]
        return pairs.filter { $0.1 != $0.2 }.map { SettingChange(field: $0.0, from: $0.1, to: $0.2) }
    }

    /// `~ ha: priority 100 → 150`; `~ ha: (none) → VRRP router 51 on eth0, peers … (read when the daemon starts)`.
    static func haLine(_ change: SettingChange) -> String {
        change.field.isEmpty
            ? "~ ha: \(change.from) → \(change.to) (read when the daemon starts)"
            : "~ ha: \(change.field) \(change.from) → \(change.to)"
    }

    /// `VRRP router 51 on eth0, peers 198.51.100.2, 198.51.100.5`.
    static func summary(_ ha: HASettings) -> String {
        "VRRP router \(ha.virtualRouterID) on \(ha.interface), peers \(list(ha.peers))"
    }
}
