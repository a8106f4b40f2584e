import NIOCore

/// One event loop's pending access log lines for one sink: lines are appended without locks
/// and handed to the sink's thread in batches (when 32 KiB are pending, or 50 ms after the
/// first line). If the sink falls more than `maximumBacklog` bytes behind, lines are dropped
/// (counted) rather than letting memory grow or an event loop wait.
final class AccessLogBuffer {
    static let batchBytes = 32 * 1024
    static let maximumBacklog = 4 * 1024 * 1024
    static let flushDelay = TimeAmount.milliseconds(50)

    private let sink: AccessLogSink
    private let loop: EventLoop
    private var pending: ByteBuffer
    private var inFlight = 0
    private var flushScheduled = false
    private(set) var droppedLines = 0

    init(sink: AccessLogSink, loop: EventLoop) {
        self.sink = sink
        self.loop = loop
        self.pending = ByteBufferAllocator().buffer(capacity: 0)
    }

    func append(_ record: AccessLogRecord) {
        guard sink.isEnabled else { return }
        if inFlight + pending.readableBytes > AccessLogBuffer.maximumBacklog {
            droppedLines += 1
            return
        }
        record.write(to: &pending, wallClock: AccessLogRecord.now())
        if pending.readableBytes >= AccessLogBuffer.batchBytes {
            flush()
        } else if !flushScheduled {
            flushScheduled = true
            loop.assumeIsolated().scheduleTask(in: AccessLogBuffer.flushDelay) { [self] in
                self.flushScheduled = false
                self.flush()
            }
        }
    }

    /// Hands what is pending to the sink; the future completes once it is written.
    @discardableResult
    func flush() -> EventLoopFuture<Void> {
        guard pending.readableBytes > 0 else { return loop.makeSucceededVoidFuture() }
        let batch = pending
        pending = ByteBufferAllocator().buffer(capacity: AccessLogBuffer.batchBytes)
        inFlight += batch.readableBytes
        let future = sink.write(batch, on: loop)
        future.assumeIsolated().whenComplete { [self] result in
            self.inFlight -= batch.readableBytes
            if case .failure = result { self.sink.droppedBatches.add(1, ordering: .relaxed) }
        }
        return future
    }
}
