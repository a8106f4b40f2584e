import NIOCore
import NIOPosix

/// Runs one exchange with a server (a webhook POST, an email) on its own connection, within
/// `timeout` seconds from connect to end: the handlers `pipeline` adds complete the promise;
/// past the time it fails with `timedOut` and the connection is closed.
enum AlertExchange {
    static func run(
        group: any EventLoopGroup, host: String, port: Int, timeout: Double,
        timedOut: @escaping @Sendable () -> any Error,
        pipeline: @escaping @Sendable (Channel, EventLoopPromise<Void>) throws -> Void
    ) async throws {
        let loop = group.next()
        let promise = loop.makePromise(of: Void.self)
        let limit = TimeAmount.milliseconds(Int64(timeout * 1000))
        let deadline = loop.scheduleTask(in: limit) { promise.fail(timedOut()) }
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(limit)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture(withResultOf: { try pipeline(channel, promise) })
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            deadline.cancel()
            promise.fail(error)
            throw error
        }
        promise.futureResult.whenComplete { _ in
            deadline.cancel()
            channel.close(promise: nil)
        }
        try await promise.futureResult.get()
    }
}
