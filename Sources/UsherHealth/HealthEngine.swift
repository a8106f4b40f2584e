import Foundation
import Logging
import NIOCore
import Synchronization
import UsherCore

/// The health checks of every checked real (L4 reals and L7 pool members), run on the event
/// loops of one group — no thread per check.
///
/// Semantics (as HAProxy): a target goes down after `fall` consecutive failed checks and comes
/// back after `rise` consecutive passed ones; a new target starts up unless `initial` says
/// otherwise (the states kept across a restart). Each target's first check comes after a random
/// delay within its interval, later ones every interval ±10 %. Transitions are logged (notice
/// up, warning down: service, pool, real, old → new, reason) and passed to the callbacks, on the
/// target's event loop.
public final class HealthEngine: Sendable {
    private let group: EventLoopGroup
    private let logger: Logger
    private let checkers = Mutex<[HealthTarget: TargetChecker]>([:])
    private let callbacks = Mutex<[@Sendable (HealthTransition) -> Void]>([])
    private let observer = Mutex<(@Sendable (HealthTarget, Bool, Double) -> Void)?>(nil)
    /// Checkers being stopped by `update`, awaited by `stop`.
    private let stopping = Mutex<[ObjectIdentifier: EventLoopFuture<Void>]>([:])

    public init(group: EventLoopGroup, logger: Logger) {
        self.group = group
        self.logger = logger
    }

    /// Sets the checked targets among those matching `scope`: new ones start (state from `initial`
    /// when given, else up), ones no longer listed stop, changed checks restart keeping their
    /// state, unchanged ones go on untouched. Targets outside `scope` are left alone.
    public func update(
        _ checks: [HealthTarget: HealthCheck], initial: [HealthTarget: HealthStatus] = [:],
        scope: @escaping @Sendable (HealthTarget) -> Bool = { _ in true }
    ) {
        let now = Date()
        let (started, stopped): ([TargetChecker], [TargetChecker]) = checkers.withLock { current in
            var started: [TargetChecker] = [], stopped: [TargetChecker] = []
            for (target, checker) in current where scope(target) && checks[target] != checker.check {
                stopped.append(checker)
                current[target] = nil
            }
            for (target, check) in checks where scope(target) && current[target] == nil {
                let kept = stopped.first { $0.target == target }?.status
                let checker = TargetChecker(
                    target: target, check: check, initial: kept ?? initial[target] ?? HealthStatus(state: .up, since: now),
                    eventLoop: group.next(), logger: logger, onTransition: { [weak self] in self?.transition($0) },
                    onResult: { [weak self] target, passed, seconds in
                        self?.observer.withLock { $0 }?(target, passed, seconds)
                    })
                current[target] = checker
                started.append(checker)
            }
            return (started, stopped)
        }
        for checker in stopped {
            let id = ObjectIdentifier(checker)
            let done = checker.stop()
            stopping.withLock { $0[id] = done }
            done.whenComplete { [weak self] _ in _ = self?.stopping.withLock { $0.removeValue(forKey: id) } }
        }
        for checker in started { checker.start() }
        if !started.isEmpty || !stopped.isEmpty {
            logger.info("health checks updated", metadata: ["started": "\(started.count)", "stopped": "\(stopped.count)"])
        }
    }

    /// Sets the callback called after every check (passed, seconds it took), on its event loop.
    public func observeResults(_ callback: @escaping @Sendable (HealthTarget, Bool, Double) -> Void) {
        observer.withLock { $0 = callback }
    }

    /// Adds a callback called at every transition.
    public func onTransition(_ callback: @escaping @Sendable (HealthTransition) -> Void) {
        callbacks.withLock { $0.append(callback) }
    }

    public func status(of target: HealthTarget) -> HealthStatus? {
        checker(target)?.status
    }

    public func snapshot() -> [HealthTarget: HealthStatus] {
        let all = checkers.withLock { Array($0.values) }
        return Dictionary(uniqueKeysWithValues: all.map { ($0.target, $0.status) })
    }

    /// One short lock for the lookup, then an atomic load: fit for the request path. True for a
    /// target not checked.
    public func isUp(_ target: HealthTarget) -> Bool {
        checker(target)?.isUp ?? true
    }

    /// Stops every check; returns when checks in progress have finished.
    public func stop() async {
        let all = checkers.withLock { current in
            defer { current = [:] }
            return Array(current.values)
        }
        let pending = all.map { $0.stop() } + stopping.withLock { Array($0.values) }
        for future in pending { _ = try? await future.get() }
    }

    private func checker(_ target: HealthTarget) -> TargetChecker? {
        checkers.withLock { $0[target] }
    }

    private func transition(_ transition: HealthTransition) {
        for callback in callbacks.withLock({ $0 }) { callback(transition) }
    }
}
