import Foundation
import UsherCore

/// Turns the config an operator wrote into the one the data plane runs, given what the health
/// checks found: the rule of what takes new flows lives here and only here.
///
/// For each real of an L4 service, in this order:
/// - `disabled` (by the operator): out of its Maglev table, its tracked flows dropped;
/// - weight 0 (drained by the operator): out of the table, its flows kept;
/// - down (its checks failed `fall` times): out of the table, its flows kept, or dropped when
///   the service says `on-down: reset`;
/// - up and ramping (slow start): in the table with a share that grows linearly from almost
///   nothing to its weight over the service's `slow-start`;
/// - otherwise its weight.
/// Backup reals take new flows only while no other real of the service can; with none left the
/// service's table is empty and the data plane drops new flows (counted as `no_real`).
/// A manual state always wins: a drained or disabled real stays out whatever its checks say.
public enum RuntimeOverlay {
    /// Weights are multiplied by this while a service has a real in slow start, so its share can
    /// grow in small steps. Maglev's table depends only on the ratios of weights, so scaling
    /// every weight of a service by one factor rebuilds the same table.
    public static let rampScale: UInt32 = 1000

    /// The outcome of one overlay.
    public struct Result: Sendable {
        /// The config to write to the maps.
        public var config: BalancerConfig
        /// Reals whose tracked flows must not stay: disabled, or down with `on-down: reset`.
        public var resets: Set<HealthTarget>
        /// When the next slow-start step is due, if some real is ramping.
        public var nextStep: Date?
    }

    /// Steps per slow start: each moves about 1/steps of the real's final share.
    public static let rampSteps = 20

    public static func apply(_ config: BalancerConfig, runtime: RuntimeState, now: Date) -> Result {
        let entries = runtime.byTarget
        var out = config
        var resets: Set<HealthTarget> = []
        var nextStep: Date?
        for (s, service) in config.services.enumerated() where service.mode.isLayer4 {
            var weights: [UInt32] = []
            var ramping = false
            var primaryAvailable = false
            for real in service.reals {
                let target = service.healthTarget(of: real)
                let entry = entries[target]
                let checked = service.healthCheck(of: real) != nil
                let down = checked && entry?.status.state == .down
                if real.disabled || (down && service.onDown == .reset) { resets.insert(target) }
                guard !real.disabled, real.weight > 0, !down else {
                    weights.append(0)
                    continue
                }
                if !real.backup { primaryAvailable = true }
                var weight = real.weight * rampScale
                if service.slowStartSeconds > 0, let start = entry?.rampStart {
                    let elapsed = now.timeIntervalSince(start)
                    if elapsed < service.slowStartSeconds {
                        let step = service.slowStartSeconds / Double(rampSteps)
                        let done = max(1, (elapsed / step).rounded(.down) + 1) // the first step at once
                        let fraction = min(1, done / Double(rampSteps))
                        weight = max(1, UInt32((Double(weight) * fraction).rounded()))
                        ramping = true
                        let due = start.addingTimeInterval(done * step)
                        nextStep = min(nextStep ?? due, due)
                    }
                }
                weights.append(weight)
            }
            for (r, real) in service.reals.enumerated() {
                var weight = weights[r]
                if real.backup && primaryAvailable { weight = 0 }
                if !ramping { weight /= rampScale }
                out.services[s].reals[r].weight = weight
            }
        }
        return Result(config: out, resets: resets, nextStep: nextStep)
    }
}
