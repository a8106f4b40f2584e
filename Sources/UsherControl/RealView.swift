import Foundation
import UsherCore

/// A real server as `real list --json` prints it, with what its health checks found.
public struct RealView: Encodable, Sendable, Hashable {
    public let service: String
    public let address: String
    public let weight: UInt32
    public let state: RealState
    /// true for a sorry server (left out otherwise).
    public let backup: Bool?
    /// Whether health checks watch it (not printed in JSON: `since` and `last_check` say it).
    public let checked: Bool
    /// When the real entered its health state (checked reals only).
    public let since: Date?
    public let lastCheck: Date?
    public let lastPassed: Bool?
    public let lastError: String?
    public let lastLatencySeconds: Double?
    public let mac: String?
    /// nat/gateway: the port the real listens on (left out when it is the service's).
    public let port: UInt16?

    /// With `health` nil (not read), a checked real's state is only what the config says.
    public init(service: VirtualService, _ real: RealServer, health: [HealthTarget: RuntimeState.Entry]?) {
        self.service = service.name
        address = real.address.description
        weight = real.weight
        let checked = health != nil && service.healthCheck(of: real) != nil
        let status = checked ? health?[service.healthTarget(of: real)]?.status : nil
        state = RealState.of(real, checked: checked, status: status)
        backup = real.backup ? true : nil
        self.checked = checked
        since = status?.since
        lastCheck = status?.lastCheck
        lastPassed = status?.lastPassed
        lastError = status?.lastError
        lastLatencySeconds = status?.lastLatencySeconds
        mac = real.mac?.description
        port = real.port
    }

    enum CodingKeys: String, CodingKey {
        case service, address, weight, state, backup, since, lastCheck, lastPassed, lastError, lastLatencySeconds, mac, port
    }

    /// `ok 1.2 ms`, `failed: connect refused`, or `-` before any check.
    public var lastCheckSummary: String {
        guard let lastPassed else { return "-" }
        if lastPassed {
            return "ok" + (lastLatencySeconds.map { String(format: " %.1f ms", $0 * 1000) } ?? "")
        }
        return "failed: \(lastError ?? "?")"
    }
}
