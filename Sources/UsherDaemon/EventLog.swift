import Foundation
import Synchronization
import UsherCore

/// The daemon's recent events (the last `capacity`, for the status page and the API) and the
/// sinks that hear each one as it happens (syslog, alerts). Publishing never waits: a sink
/// that falls behind loses its oldest unread events, never the daemon's time.
public final class EventLog: Sendable {
    public let capacity: Int
    private let state: Mutex<State>

    private struct State {
        var events: [DaemonEvent] = []
        var next = 1
        var sinks: [Int: AsyncStream<DaemonEvent>.Continuation] = [:]
        var nextSink = 0
    }

    public init(capacity: Int = 500) {
        self.capacity = capacity
        self.state = Mutex(State())
    }

    /// Numbers the event, keeps it, and hands it to every sink.
    @discardableResult
    public func publish(_ event: DaemonEvent) -> DaemonEvent {
        state.withLock { state in
            var event = event
            event.sequence = state.next
            state.next += 1
            state.events.append(event)
            if state.events.count > capacity { state.events.removeFirst(state.events.count - capacity) }
            for sink in state.sinks.values { sink.yield(event) }
            return event
        }
    }

    /// The kept events after `sequence` (all when 0), oldest first, at most `limit`.
    public func events(after sequence: Int = 0, limit: Int = .max) -> [DaemonEvent] {
        state.withLock { state in Array(state.events.lazy.filter { $0.sequence > sequence }.prefix(limit)) }
    }

    /// Every event from now on, buffered up to `buffer` unread ones.
    public func subscribe(buffer: Int = 1000) -> AsyncStream<DaemonEvent> {
        let (stream, continuation) = AsyncStream<DaemonEvent>.makeStream(bufferingPolicy: .bufferingNewest(buffer))
        let id = state.withLock { state in
            let id = state.nextSink
            state.nextSink += 1
            state.sinks[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.sinks.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every sink's stream (at shutdown).
    public func finish() {
        let sinks = state.withLock { state in
            defer { state.sinks = [:] }
            return Array(state.sinks.values)
        }
        for sink in sinks { sink.finish() }
    }
}
