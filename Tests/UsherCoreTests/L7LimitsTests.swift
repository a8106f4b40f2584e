import Testing
@testable import UsherCore

/// `limits`, header rewriting, `forwarded-headers` and `access-log` of an http/https service.
@Suite struct L7LimitsTests {
    // MARK: Limits

    @Test(arguments: [
        ("max-header-bytes: 32KiB", "max-header-bytes: 512", "services[0].limits.max-header-bytes",
         "max-header-bytes 512 is below 1KiB", "use 1KiB to 1MiB"),
        ("max-request-line: 4096", "max-request-line: 2MiB", "services[0].limits.max-request-line",
         "max-request-line 2MiB is above 1MiB", "use 256 to 1MiB"),
        ("max-headers: 50", "max-headers: 4", "services[0].limits.max-headers", "max-headers 4 is below 8", "use 8 to 10000"),
        ("max-body: 10MiB", "max-body: 0", "services[0].limits.max-body", "max-body 0 is below 1", "use at least 1"),
        ("header-timeout: 5s", "header-timeout: 0", "services[0].limits.header-timeout",
         "header-timeout 0s is below 100ms", "use 100ms to 5m"),
        ("header-timeout: 5s", "header-timeout: 10000", "services[0].limits.header-timeout",
         "header-timeout 10000s is above 5m", "use 100ms to 5m"),
        ("idle-timeout: 1m", "idle-timeout: -5s", "services[0].limits.idle-timeout", "idle-timeout -5s is below 100ms", "use 100ms to 1h"),
        ("max-connections: 20000", "max-connections: 0", "services[0].limits.max-connections",
         "max-connections 0 is below 1", "use 1 to 1000000"),
    ])
    func limitsOutOfBounds(old: String, new: String, field: String, message: String, hint: String) throws {
        try expectL7Error(old, new, field: field, message: message, hint: hint)
    }

    @Test(arguments: [
        ("max-body: 10MiB", "max-body: 10MB", "max-body \"10MB\" has an unknown unit \"MB\"",
         "sizes count in powers of 1024: write 10MiB"),
        ("max-body: 10MiB", "max-body: 64k", "max-body \"64k\" has an unknown unit \"k\"", "write 64KiB"),
        ("max-body: 10MiB", "max-body: 1.5MiB", "max-body \"1.5MiB\" is not a size", "a whole number with KiB, MiB or GiB"),
        ("max-body: 10MiB", "max-body: lots", "max-body \"lots\" is not a size", "e.g. 16384 or 10MiB"),
        ("max-body: 10MiB", "max-body: 99999999999GiB", "max-body 99999999999GiB is far out of range", "KiB, MiB or GiB"),
        ("header-timeout: 5s", "header-timeout: 5sec", "header-timeout \"5sec\" has an unknown unit \"sec\"", "write 5s"),
        ("header-timeout: 5s", "header-timeout: 2 minutes", "header-timeout \"2 minutes\" has an unknown unit \"minutes\"", "write 2m"),
        ("idle-timeout: 1m", "idle-timeout: soon", "idle-timeout \"soon\" is not a duration", "500ms, 10s, 1m"),
        ("max-headers: 50", "max-headers: many", "max-headers \"many\" is not a whole number", "e.g. 100"),
    ])
    func unreadableLimits(old: String, new: String, message: String, hint: String) throws {
        let key = String(old.prefix { $0 != ":" })
        try expectL7Error(old, new, field: "services[0].limits.\(key)", message: message, hint: hint)
    }

    @Test func aMisspeltLimit() throws {
        try expectL7Error("max-body: 10MiB", "max-bdoy: 10MiB", field: "services[0].limits.max-bdoy",
                          message: "unknown field \"max-bdoy\" in the limits", hint: "did you mean \"max-body\"?")
    }

    @Test func limitsGivenAsAList() throws {
        let extra = try l7Extra(mode: "http") + ["limits: [max-body]"]
        expectOneError(serviceFile(mode: "http", extra: extra, reals: []), line: 9, field: "services[0].limits",
                       message: "expected the limits, found a list", hint: "e.g. `max-body: 10MiB`")
    }

    // MARK: forwarded-headers

    @Test func forwardedHeadersIsTrueOrFalse() throws {
        try expectL7Error("forwarded-headers: true", "forwarded-headers: yes", field: "services[0].forwarded-headers",
                          message: "forwarded-headers \"yes\" is neither true nor false", hint: "write true")
        try expectL7Error("forwarded-headers: true", "forwarded-headers: maybe", field: "services[0].forwarded-headers",
                          message: "forwarded-headers \"maybe\" is neither true nor false", hint: "write true or false")
    }

    // MARK: Header rewriting

    static let request = "request-headers: { set: { X-Env: prod }, remove: [X-Debug] }"
    static let response = "response-headers: { set: { Strict-Transport-Security: \"max-age=63072000\" }, remove: [Server] }"

    @Test func aHeaderNameWithASpace() throws {
        try expectL7Error(Self.request, "request-headers: { set: { \"X Env\": prod } }", field: "services[0].request-headers.set.X Env",
                          message: "header name \"X Env\" contains a space", hint: "letters, digits and")
    }

    @Test func framingAndHopByHopHeadersCannotBeSet() throws {
        try expectL7Error(Self.request, "request-headers: { set: { Content-Length: \"0\" } }",
                          field: "services[0].request-headers.set.Content-Length",
                          message: "Content-Length cannot be set: the proxy writes it for each message", hint: "remove it from set")
        try expectL7Error(Self.response, "response-headers: { set: { connection: close } }", field: "services[0].response-headers.set.connection",
                          message: "connection cannot be set")
    }

    @Test func aHeaderSetTwiceInAnotherCase() throws {
        try expectL7Error(Self.request, "request-headers: { set: { X-Env: prod, x-env: dev } }", field: "services[0].request-headers.set.x-env",
                          message: "header x-env is already set at services[0].request-headers.set.X-Env (line 23)", hint: "ignore case")
    }

    @Test func aHeaderValueOnTwoLines() throws {
        try expectL7Error(Self.request, "request-headers: { set: { X-Env: \"prod\\nX-Admin: 1\" } }", field: "services[0].request-headers.set.X-Env",
                          message: "the header value contains a line break", hint: "on one line")
        try expectL7Error(Self.request, "request-headers: { set: { X-Env: \"pr\\x01od\" } }", field: "services[0].request-headers.set.X-Env",
                          message: "the header value contains a control character")
    }

    @Test func aHeaderWithoutAValue() throws {
        try expectL7Error(Self.request, "request-headers: { set: { X-Env: } }", field: "services[0].request-headers.set.X-Env",
                          message: "no value given for a header value", hint: "(\"\" for an empty value)")
        let config = try expectL7Valid(Self.request, "request-headers: { set: { X-Env: \"\" } }")
        #expect(config.services.first?.l7?.requestHeaders.fieldsToSet == [HeaderField(name: "X-Env", value: "")])
    }

    @Test func hostAndFramingCannotBeRemoved() throws {
        try expectL7Error(Self.request, "request-headers: { remove: [X-Debug, host] }", field: "services[0].request-headers.remove[1]",
                          message: "host cannot be removed: the request would be invalid HTTP")
        try expectL7Error(Self.response, "response-headers: { remove: [Transfer-Encoding] }", field: "services[0].response-headers.remove[0]",
                          message: "Transfer-Encoding cannot be removed: the response would be invalid HTTP")
        // A response has no Host to keep.
        #expect(try expectL7Valid(Self.response, "response-headers: { remove: [Host] }").services.first?.l7?.responseHeaders.namesToRemove == ["Host"])
    }

    @Test func aHeaderRewriteOfTheWrongShape() throws {
        try expectL7Error(Self.request, "request-headers: { set: [X-Env] }", field: "services[0].request-headers.set",
                          message: "expected header fields to set, found a list", hint: "`X-Env: prod`")
        try expectL7Error(Self.request, "request-headers: { add: { X-Env: prod } }", field: "services[0].request-headers.add",
                          message: "unknown field \"add\" in a header rewrite", hint: "known fields: set, remove")
        try expectL7Error(Self.request, "request-headers: { remove: X-Debug }", field: "services[0].request-headers.remove",
                          message: "expected a list of header names, found \"X-Debug\"", hint: "[Server, X-Powered-By]")
    }

    // MARK: access-log

    @Test func accessLogTargets() throws {
        let dir = try L7Files.directory()
        try expectL7Error("access-log: @DIR@/logs/shop.log", "access-log: logs/shop.log", field: "services[0].access-log",
                          message: "access log file \"logs/shop.log\" is a relative path", hint: "write an absolute path")
        try expectL7Error("access-log: @DIR@/logs/shop.log", "access-log: stdot", field: "services[0].access-log",
                          message: "unknown access log target \"stdot\"", hint: "did you mean stdout?")
        try expectL7Error("access-log: @DIR@/logs/shop.log", "access-log: @DIR@/gone/shop.log", field: "services[0].access-log",
                          message: "no directory \(dir)/gone for the access log", hint: "create the directory")
        try expectL7Error("access-log: @DIR@/logs/shop.log", "access-log: @DIR@/logs", field: "services[0].access-log",
                          message: "access log \(dir)/logs is a directory")
        #expect(try expectL7Valid("access-log: @DIR@/logs/shop.log", "access-log: stdout").services.first?.l7?.accessLog == .standardOutput)
    }
}
