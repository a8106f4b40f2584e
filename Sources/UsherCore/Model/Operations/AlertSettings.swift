/// Alerts on a real's or a service's state change (`alerts:` in the config file): a webhook,
/// an email, both or neither, at most `maxPerMinute` a minute (the rest folded into one
/// summary).
public struct AlertSettings: Sendable, Codable, Hashable {
    public var webhook: WebhookAlert?
    public var email: EmailAlert?
    public var maxPerMinute: Int

    public static let defaultMaxPerMinute = 10

    public init(webhook: WebhookAlert? = nil, email: EmailAlert? = nil, maxPerMinute: Int = AlertSettings.defaultMaxPerMinute) {
        self.webhook = webhook
        self.email = email
        self.maxPerMinute = maxPerMinute
    }

    /// Whether any alert is sent at all.
    public var isEnabled: Bool { webhook != nil || email != nil }
}
