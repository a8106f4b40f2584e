import NIOCore
import NIOHPACK
import NIOHTTP2

/// Gives an HTTP/2 request one authority before NIO turns it into an HTTP/1 head (RFC 9113
/// §8.3.1: `:authority`, else `Host`):
/// - `:authority` present: any `host` field goes, so routing, the forwarded `Host` and
///   `Forwarded`'s `host=` all come from `:authority` (NIO's codec would keep a differing
///   `host` and drop `:authority`);
/// - no `:authority` but one `host` field: `:authority` is made from it (NIO's codec refuses a
///   request without `:authority`, and the stream was reset with CANCEL).
/// A request with neither (or several `host` fields and no `:authority`) is left as it is:
/// the codec refuses it and the stream is reset. Sits on each stream channel, before
/// `HTTP2FramePayloadToHTTP1ServerCodec`; only the stream's first HEADERS (the request head)
/// is looked at, never trailers.
final class HTTP2AuthorityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload

    private var headSeen = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !headSeen, case .headers(var headers) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        headSeen = true
        if Self.settleAuthority(&headers.headers) {
            context.fireChannelRead(wrapInboundOut(.headers(headers)))
        } else {
            context.fireChannelRead(data)
        }
    }

    /// Returns true when `headers` changed.
    static func settleAuthority(_ headers: inout HPACKHeaders) -> Bool {
        if headers.contains(name: ":authority") {
            guard headers.contains(name: "host") else { return false }
            headers.remove(name: "host")
            return true
        }
        let hosts = headers["host"]
        guard hosts.count == 1, let host = hosts.first else { return false }
        var settled = HPACKHeaders()
        settled.reserveCapacity(headers.count + 1)
        var authorityAdded = false
        for (name, value, indexing) in headers {
            // Pseudo-header fields come first (RFC 9113 §8.3): `:authority` joins them.
            if !authorityAdded, name.first != ":" {
                settled.add(name: ":authority", value: host)
                authorityAdded = true
            }
            settled.add(name: name, value: value, indexing: indexing)
        }
        if !authorityAdded { settled.add(name: ":authority", value: host) }
        headers = settled
        return true
    }
}
