/// What `ExchangeStateMachine` asks of a connection to a real server: `UpstreamConnection`
/// in the proxy, a stand-in in the machine's own tests.
protocol ExchangeUpstream: AnyObject {
    /// The connection can take more bytes now (else the client is not read).
    var isWritable: Bool { get }
    /// The connection carried an earlier exchange and no byte of this exchange's response has
    /// come on it: a close now is the real server's keep-alive timeout racing the request.
    var reusedAndSilent: Bool { get }
}

extension UpstreamConnection: ExchangeUpstream {
    var isWritable: Bool { channel.isWritable }
    var reusedAndSilent: Bool { isReused && nothingReceivedThisExchange }
}
