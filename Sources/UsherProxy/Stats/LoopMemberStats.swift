/// What one event loop counted for one pool member. Loop-confined, plain integers: the request
/// path adds to them without atomics or locks; `ProxyServer.statistics()` reads them on the loop.
final class LoopMemberStats {
    var requests = 0
    var responses = ProxyStatistics.ResponseClasses()
    var bytesIn = 0
    var bytesOut = 0
    var connectErrors = 0
    var openConnections = 0

    func add(to m: inout ProxyStatistics.Member) {
        m.requests += requests
        m.responses.add(responses)
        m.bytesIn += bytesIn
        m.bytesOut += bytesOut
        m.connectErrors += connectErrors
        m.openConnections += openConnections
    }
}
