import NIOCore
import NIOHTTP1

/// A response the proxy makes itself (errors, redirects, 503 with no healthy member): a
/// short plain-text body saying what happened.
struct LocalResponse {
    var status: HTTPResponseStatus
    var body: String
    var headers: HTTPHeaders
    var close: Bool

    /// The body reads `503 Service Unavailable: <reason>`.
    init(status: HTTPResponseStatus, reason: String, close: Bool, extraHeaders: HTTPHeaders = [:]) {
        let body = "\(status.code) \(status.reasonPhrase): \(reason)"
        self.status = status
        self.body = body
        self.close = close
        var h = extraHeaders
        h.add(name: "content-type", value: "text/plain; charset=utf-8")
        h.add(name: "content-length", value: String(body.utf8.count + 1))
        h.add(name: "cache-control", value: "no-store")
        if close { h.add(name: "connection", value: "close") }
        self.headers = h
    }

    init(_ rejection: Rejection) {
        self.init(status: rejection.status, reason: rejection.reason, close: true)
    }

    /// Writes head, body and end (flushed); the returned future completes with the end.
    func write(to context: ChannelHandlerContext, wrap: (HTTPServerResponsePart) -> NIOAny) -> EventLoopFuture<Void> {
        context.write(wrap(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrap(.body(.byteBuffer(bodyBuffer(context.channel.allocator)))), promise: nil)
        return context.writeAndFlush(wrap(.end(nil)))
    }

    func bodyBuffer(_ allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: body.utf8.count + 1)
        buffer.writeString(body)
        buffer.writeInteger(UInt8(ascii: "\n"))
        return buffer
    }

    var bodyBytes: Int { body.utf8.count + 1 }
}
