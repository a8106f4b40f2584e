import NIOCore
import NIOHTTP1

/// A response the proxy makes itself (errors, redirects, 503 with no healthy member): a
/// short plain-text body saying what happened.
struct LocalResponse {
    var status: HTTPResponseStatus
    var body: String
    var headers: HTTPHeaders
    var close: Bool

    init(status: HTTPResponseStatus, body: String, close: Bool, extraHeaders: HTTPHeaders = [:]) {
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
        self.init(status: rejection.status, body: "\(rejection.status.code) \(rejection.status.reasonPhrase): \(rejection.reason)", close: true)
    }

    /// Writes head, body and end (flushed); the returned future completes with the end.
    func write(to context: ChannelHandlerContext, version: HTTPVersion = .http1_1, wrap: (HTTPServerResponsePart) -> NIOAny) -> EventLoopFuture<Void> {
        let head = HTTPResponseHead(version: version.major == 1 ? version : .http1_1, status: status, headers: headers)
        context.write(wrap(.head(head)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: body.utf8.count + 1)
        buffer.writeString(body)
        buffer.writeInteger(UInt8(ascii: "\n"))
        context.write(wrap(.body(.byteBuffer(buffer))), promise: nil)
        return context.writeAndFlush(wrap(.end(nil)))
    }

    var bodyBytes: Int { body.utf8.count + 1 }
}
