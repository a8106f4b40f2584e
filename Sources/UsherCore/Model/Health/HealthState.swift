/// Whether a checked real server takes new traffic, as its health checks see it.
public enum HealthState: String, Hashable, Sendable, Codable {
    case up
    case down
}
