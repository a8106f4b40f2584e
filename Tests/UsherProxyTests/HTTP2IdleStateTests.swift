import NIOHTTP2
import Testing
@testable import UsherProxy

/// When an HTTP/2 connection counts as idle.
@Suite struct HTTP2IdleStateTests {
    @Test func idleOnlyWithoutOpenStreams() {
        var state = HTTP2IdleState()
        #expect(state.isIdle)
        #expect(state.streamOpened(1) == true)
        #expect(state.streamOpened(3) == false)
        #expect(state.streamClosed() == false)
        #expect(!state.isIdle)
        #expect(state.streamClosed() == true)
        #expect(state.isIdle)
        #expect(state.lastStreamID == 3)
        #expect(state.streamClosed() == false, "more closes than opens change nothing")
        #expect(state.isIdle)
    }
}
