import Foundation

/// The parts of `usher maps dump --json` the tests look at.
struct DumpView {
    let root: [String: Any]

    init(_ text: String) throws {
        root = try JSON.object(JSON.parse(text), "maps dump")
    }

    var vips: [[String: Any]] { get throws { try JSON.objects(root["vips"], "vips") } }
    var reals: [[String: Any]] { get throws { try JSON.objects(root["reals"], "reals") } }
    var flows: [[String: Any]] { get throws { try JSON.objects(try JSON.object(root["conntrack"], "conntrack")["flows"], "flows") } }

    /// Addresses present in usher_reals_v1.
    var realAddresses: Set<String> { get throws { Set(try reals.compactMap { $0["address"] as? String }) } }

    /// The VIP entry of a service (`203.0.113.10:80/tcp`), nil when absent.
    func vip(_ service: String) throws -> [String: Any]? {
        try vips.first { $0["service"] as? String == service }
    }

    /// Maglev slots per real address of a service's table.
    func shares(_ service: String) throws -> [String: Int] {
        guard let vip = try vip(service) else { throw JSON.Mismatch(description: "no VIP \(service) in \(root)") }
        let maglev = try JSON.object(vip["maglev"], "\(service) maglev")
        var out: [String: Int] = [:]
        for share in try JSON.objects(maglev["shares"], "shares") {
            out[try JSON.string(share, "address")] = try JSON.int(share, "slots")
        }
        return out
    }
}
