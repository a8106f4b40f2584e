import NIOHTTP2

/// The open streams of an HTTP/2 connection, as far as idleness goes: the connection is idle when
/// none is open. Remembers the highest stream ID seen, the one a GOAWAY names as last processed.
struct HTTP2IdleState {
    private(set) var openStreams = 0
    private(set) var lastStreamID: HTTP2StreamID = .rootStream

    var isIdle: Bool { openStreams == 0 }

    /// Returns true when the connection stops being idle (the idle timer must stop).
    mutating func streamOpened(_ id: HTTP2StreamID) -> Bool {
        openStreams += 1
        if id > lastStreamID { lastStreamID = id }
        return openStreams == 1
    }

    /// Returns true when the connection becomes idle (the idle timer must start).
    mutating func streamClosed() -> Bool {
        guard openStreams > 0 else { return false }
        openStreams -= 1
        return openStreams == 0
    }
}
