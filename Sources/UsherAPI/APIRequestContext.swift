import Hummingbird
import NIOCore

/// A request's context: Hummingbird's core, and the peer (a TCP client's address) for the log.
struct APIRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
