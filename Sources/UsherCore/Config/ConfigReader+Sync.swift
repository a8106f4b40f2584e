import Yams

/// The `sync:` section (Docs/CONFIG.md): flow-state sync between balancers.
extension ConfigReader {
    static let syncFields = ["address", "port", "peers", "key-file", "interval"]
    static let syncHint = "write `address: 192.0.2.11` and `peers: [192.0.2.12]` under it (and optionally `port:`, `key-file:`, `interval:`)"
    static let syncIntervalHint = "use 50ms to 5s, e.g. 250ms"

    /// The sync settings, or nil when a field is unreadable (each problem is reported).
    mutating func readSync(_ node: Node, at path: FieldPath) -> SyncSettings? {
        guard let fields = mapping(node, at: path, what: "the sync settings", fields: Self.syncFields, hint: Self.syncHint) else {
            return nil
        }
        require([
            ("peers", "add `peers: [192.0.2.12]`, the other balancers' sync addresses (or every balancer's, without `address:`)"),
        ], in: fields, at: path, what: "the sync settings")
        var ok = fields["peers"] != nil
        let address = fields["address"].flatMap { self.address($0, at: path.key("address"), what: "a sync address", example: "192.0.2.11") }
        if fields["address"] != nil, address == nil { ok = false }
        var peers: [IPAddress] = []
        if let node = fields["peers"] {
            let items = list(node, at: path.key("peers"), what: "peer addresses",
                             hint: "write `peers: [192.0.2.12]` or one `- 192.0.2.12` per line")
            if items == nil { ok = false }
            for (k, item) in (items ?? []).enumerated() {
                if let peer = self.address(item, at: path.key("peers").index(k), what: "a peer address", example: "192.0.2.12") {
                    peers.append(peer)
                } else { ok = false }
            }
        }
        var port = SyncSettings.defaultPort
        if let node = fields["port"] {
            let hint = "use a UDP port from 1 to 65535, the same on every balancer, e.g. \(SyncSettings.defaultPort)"
            if let value = integer(node, at: path.key("port"), what: "port", hint: hint) {
                if (1...65535).contains(value) { port = UInt16(value) } else {
                    report(path.key("port"), at: node.mark, "port \(value) is out of range", hint: hint)
                    ok = false
                }
            } else { ok = false }
        }
        var keyFile: String?
        if let node = fields["key-file"], !Self.isNull(node) {
            keyFile = scalar(node, at: path.key("key-file"), what: "a key file", hint: "write an absolute path, e.g. /etc/usher/sync.key")
            if keyFile == nil { ok = false }
        }
        var interval = SyncSettings.defaultIntervalMilliseconds
        if let node = fields["interval"] {
            if let ms = milliseconds(node, at: path.key("interval"), what: "interval", in: SyncSettings.intervals,
                                     hint: Self.syncIntervalHint) {
                interval = ms
            } else { ok = false }
        }
        guard ok else { return nil }
        return SyncSettings(address: address, port: port, peers: peers, keyFile: keyFile, intervalMilliseconds: interval)
    }

    /// A duration given in milliseconds within `range` (e.g. `250ms`, `0.1s`); out of range is reported.
    mutating func milliseconds(_ node: Node, at path: FieldPath, what: String, in range: ClosedRange<UInt32>, hint: String) -> UInt32? {
        guard let seconds = duration(node, at: path, what: what) else { return nil }
        let ms = (seconds * 1000).rounded()
        guard ms >= Double(range.lowerBound), ms <= Double(range.upperBound) else {
            report(path, at: node.mark, "\(what) \(ConfigValidator.describeSeconds(seconds)) is out of range", hint: hint)
            return nil
        }
        return UInt32(ms)
    }
}
