import NIOCore

extension ChannelHandlerContext {
    /// Closes the connection once what was already written has gone out: a plain close
    /// would drop writes still queued (say, the end of the previous pipelined response).
    /// Shuts the output down first (sent after the queued bytes), then closes; where output
    /// cannot be closed alone (some TLS or HTTP/2 channels), closes at once.
    func closeAfterPendingWrites() {
        flush()
        let loopBound = self.loopBound
        let promise = eventLoop.makePromise(of: Void.self)
        close(mode: .output, promise: promise)
        promise.futureResult.assumeIsolated().whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }
}
