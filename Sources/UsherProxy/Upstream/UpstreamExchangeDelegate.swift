import NIOHTTP1

/// The client side of an exchange, as the real server's connection sees it. Both ends run on
/// the same event loop, so calls are direct.
protocol UpstreamExchangeDelegate: AnyObject {
    func upstreamReceived(_ part: HTTPClientResponsePart)
    /// A batch of reads ended: flush what was written to the client.
    func upstreamReadComplete()
    func upstreamWritabilityChanged(isWritable: Bool)
    /// The connection closed or failed before the response ended.
    func upstreamFailed(_ error: Error)
    /// Whether the client can take more bytes now (back-pressure towards the real server).
    var clientIsWritable: Bool { get }
}

/// Why an exchange with a real server ended early.
enum UpstreamError: Error, Equatable {
    case closedBeforeResponseEnd
    case timeout
    case unexpectedData
}
