import NIOCore

/// An upgraded connection (WebSocket after `101 Switching Protocols`) between a client and a
/// real server: both channels carry raw bytes through a pair of `TunnelGlueHandler`s. Closed
/// when either side closes, or when no byte has gone either way for `idleTimeout` (HAProxy's
/// `timeout tunnel`). Loop-confined: both channels live on `loop`.
final class Tunnel {
    let loop: EventLoop
    let idleTimeout: TimeAmount
    private var lastActivity: NIODeadline
    private var timer: Scheduled<Void>?
    private var channels: [Channel] = []
    private(set) var isClosed = false
    private let onTransfer: (Int, TunnelGlueHandler.Side) -> Void
    private let onClose: () -> Void

    /// `onTransfer`: bytes read from one side (to count them); `onClose`: once, when the tunnel
    /// ends (to give back what the exchange held, such as the member's active count).
    init(loop: EventLoop, idleTimeout: TimeAmount,
         onTransfer: @escaping (Int, TunnelGlueHandler.Side) -> Void, onClose: @escaping () -> Void) {
        self.loop = loop
        self.idleTimeout = idleTimeout
        self.lastActivity = loop.now
        self.onTransfer = onTransfer
        self.onClose = onClose
    }

    /// Starts the idle timer; `channels` are closed when it expires.
    func start(_ channels: [Channel]) {
        self.channels = channels
        lastActivity = loop.now
        arm(in: idleTimeout)
    }

    func transferred(_ bytes: Int, from side: TunnelGlueHandler.Side) {
        lastActivity = loop.now
        onTransfer(bytes, side)
    }

    /// Either channel closed (the glue closes the other).
    func closed() {
        guard !isClosed else { return }
        isClosed = true
        timer?.cancel()
        timer = nil
        channels = []
        onClose()
    }

    /// Closes both sides now.
    func close() {
        let open = channels
        for c in open { c.close(promise: nil) }
        closed()
    }

    /// Activity only moves a timestamp; the timer re-arms itself for the time left.
    private func arm(in delay: TimeAmount) {
        timer = loop.assumeIsolated().scheduleTask(in: delay) { [self] in
            self.timer = nil
            guard !self.isClosed else { return }
            let idle = loop.now - self.lastActivity
            if idle < self.idleTimeout {
                self.arm(in: self.idleTimeout - idle)
            } else {
                self.close()
            }
        }
    }
}
