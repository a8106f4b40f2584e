import Foundation
import Logging
import NIOCore
import UsherCore

/// Sends an alert for each real's or service's state change: a webhook POST and/or an email,
/// as the settings say, at most `maxPerMinute` a minute (`AlertRateLimiter`: the rest folded
/// into one summary). `offer` never waits for a send: alerts queue (the newest 100) for the
/// delivery loop of `run`, and a failed or slow send is logged, never retried.
public actor Alerter {
    private var settings: AlertSettings
    private var limiter: AlertRateLimiter
    private let webhook: WebhookClient
    private let smtp: SMTPClient
    private let logger: Logger
    private let host: String
    private let queue: AsyncStream<Alert>
    private let enqueue: AsyncStream<Alert>.Continuation
    /// Alerts delivered and failed, by channel ("webhook", "email").
    public private(set) var delivered: [String: Int] = [:]
    public private(set) var failed: [String: Int] = [:]

    /// The kinds of event that make an alert.
    public static let kinds: Set<DaemonEvent.Kind> = [.realState, .serviceState]

    public init(settings: AlertSettings, group: any EventLoopGroup, logger: Logger, host: String) {
        self.settings = settings
        self.limiter = AlertRateLimiter(limit: settings.maxPerMinute)
        self.webhook = WebhookClient(group: group)
        self.smtp = SMTPClient(group: group, heloName: host)
        self.logger = logger
        self.host = host
        (queue, enqueue) = AsyncStream<Alert>.makeStream(bufferingPolicy: .bufferingNewest(100))
    }

    /// New settings (a reload); a new limit starts a new count.
    public func update(_ new: AlertSettings) {
        if new.maxPerMinute != settings.maxPerMinute { limiter = AlertRateLimiter(limit: new.maxPerMinute) }
        settings = new
    }

    /// Something happened: an alert now, folded for the summary, or nothing (not a state change,
    /// or no alert configured).
    public func offer(_ event: DaemonEvent) {
        guard settings.isEnabled, Self.kinds.contains(event.kind) else { return }
        if case let .send(alert) = limiter.offer(event, at: Date()) { enqueue.yield(alert) }
    }

    /// Delivers the queued alerts, and the summary of folded ones once the limit allows, until
    /// cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await alert in self.queue { await self.deliver(alert) }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    await self.releaseSummary()
                }
            }
            await withTaskCancellationHandler {
                await group.next()
            } onCancel: {
                enqueue.finish()
            }
            group.cancelAll()
        }
    }

    private func releaseSummary() {
        if let summary = limiter.due(at: Date()) { enqueue.yield(summary) }
    }

    /// Sends `alert` on each channel at once; logs what failed.
    func deliver(_ alert: Alert) async {
        let settings = self.settings
        await withTaskGroup(of: (String, Error?).self) { group in
            if let target = settings.webhook {
                group.addTask {
                    do {
                        try await self.webhook.post(alert.json(host: self.host), to: target)
                        return ("webhook", nil)
                    } catch { return ("webhook", error) }
                }
            }
            if let email = settings.email {
                group.addTask {
                    do {
                        try await self.smtp.send(subject: "\(email.subjectPrefix) \(alert.subject)", body: alert.text, with: email)
                        return ("email", nil)
                    } catch { return ("email", error) }
                }
            }
            for await (channel, error) in group { record(channel, alert: alert, error: error) }
        }
    }

    private func record(_ channel: String, alert: Alert, error: Error?) {
        if let error {
            failed[channel, default: 0] += 1
            logger.warning("alert not sent", metadata: ["channel": "\(channel)", "alert": "\(alert.subject)", "error": "\(error)"])
        } else {
            delivered[channel, default: 0] += 1
            logger.debug("alert sent", metadata: ["channel": "\(channel)", "alert": "\(alert.subject)"])
        }
    }
}
