/// What `ExchangeStateMachine`'s events ask the handler to do.
extension ExchangeStateMachine {
    enum HeadAction {
        /// Route the request; the machine is `routed`.
        case route
        case ignore
        /// Close the client connection.
        case close(reason: String)
    }

    enum RequestBodyAction {
        /// Keep it for when the connection is there (`Exchange.pending`).
        case queue(Exchange)
        /// Write it to the real server; flush when the client's read batch ends.
        case forward(Exchange, Upstream)
        case drop
        case close(reason: String)
    }

    enum RequestEndAction {
        /// Keep it for when the connection is there; `readAhead`: keep reading the client.
        case queue(Exchange, readAhead: Bool)
        /// Write and flush it to the real server.
        case forward(Upstream, readAhead: Bool)
        /// The dropped body has ended: ready for the next request (`idle`).
        case nextRequest(restartParser: Bool)
        case drop
        case close(reason: String)
    }

    enum ReadAction { case read, hold }

    enum ReadCompleteAction { case flush(Upstream), none }

    enum ConnectedAction {
        /// Send the forward head and the queued parts, then flush.
        case send(Exchange)
        case ignore
    }

    enum ConnectFailedAction {
        /// Connect to another member, if the pool has one; else answer 502.
        case tryAnotherMember(Exchange)
        /// Answer 502.
        case respond(Exchange)
        case ignore
    }

    enum ResponseHeadAction {
        /// Write the head to the client.
        case forward(Exchange, Upstream)
        /// A 101 nobody asked for: what follows is not HTTP. Close the real's connection and
        /// answer 502 (the machine is `routed`).
        case refuseSwitch(Exchange, Upstream)
        case ignore
    }

    enum ResponseBodyAction { case forward(Exchange), ignore }

    enum ResponseEndAction {
        /// Splice the two connections (the machine is `tunneled`).
        case tunnel(Exchange, Upstream)
        /// The real is done: give its connection back if `reuseUpstream`, else close it; then
        /// write the response's end (the machine is `routed`).
        case complete(Exchange, Upstream, reuseUpstream: Bool)
        case ignore
    }

    enum AfterResponse: Equatable {
        /// The client does not keep the connection: close it once the end is written.
        case close
        /// Write the end; the next request may come within that write (`idle`). Call
        /// `responseEndWritten()` after it.
        case nextRequest(restartParser: Bool)
        /// Write the end; the rest of the request body is dropped (`discardingRequest`).
        case discardRequestBody
    }

    enum UpstreamLossAction {
        /// Part of the response is out: the client can only learn of it by a close (`closed`).
        case closeClient(Exchange, Upstream)
        /// Send the request again on a new connection to the same member (`routed`).
        case sendAgain(Exchange, Upstream)
        /// Answer 502 or 504 (`routed`).
        case respond(Exchange, Upstream)
        case ignore
    }

    enum AbandonAction {
        /// Close the real's connection if any, count the member out, log the exchange (with
        /// the given status if no response had started).
        case abandon(Exchange, Upstream?, responseStarted: Bool)
        case none
    }
}
