import Testing
@testable import UsherCore

/// `api:`: where the daemon serves its API; a TCP listener is never plain or open.
@Suite struct APIConfigTests {
    /// `api:` on line 1, its fields from line 2, then a one-service file.
    static func file(_ api: [String]) -> String {
        (["api:"] + api.map { "  \($0)" }).joined(separator: "\n") + "\n" + serviceFile()
    }

    @Test func aTLSListenerWithItsFiles() throws {
        let config = try ConfigLoader.parse(yaml: Self.file([
            "listen: 198.51.100.2:9443", "tls-certificate: /etc/usher/api.crt", "tls-key: /etc/usher/api.key",
            "token-file: /etc/usher/api.token", "socket: /run/usher/api.sock",
        ]), file: "usher.yaml")
        #expect(config.api == APISettings(socket: "/run/usher/api.sock",
                                          listen: .init(address: IPAddress("198.51.100.2")!, port: 9443),
                                          tlsCertificate: "/etc/usher/api.crt", tlsKey: "/etc/usher/api.key",
                                          tokenFile: "/etc/usher/api.token"))
        #expect(try ConfigLoader.parse(yaml: serviceFile(), file: "f").api == APISettings())
    }

    @Test func listenerAddresses() {
        #expect(APISettings.Listener("[2001:db8:2::2]:9443")?.description == "[2001:db8:2::2]:9443")
        #expect(APISettings.Listener("198.51.100.2:9443")?.port == 9443)
        for bad in ["198.51.100.2", "198.51.100.2:0", "198.51.100.2:65536", "2001:db8::2:9443", "[2001:db8::2]9443",
                    "host:9443", "198.51.100.2:+80", ":9443"] {
            #expect(APISettings.Listener(bad) == nil, "\(bad)")
        }
    }

    @Test func aListenerWithoutTLSOrTokenIsRefused() {
        let errors = parseErrors(Self.file(["listen: 198.51.100.2:9443"]))
        #expect(Set(errors.map(\.field)) == ["api.tls-certificate", "api.tls-key", "api.token-file"], "\(errors)")
        #expect(errors.allSatisfy { $0.line == 2 && $0.message.contains("a TCP listener needs") })
    }

    @Test func badValuesAreLocated() {
        expectOneError(Self.file(["listen: 198.51.100.2", "tls-certificate: /a", "tls-key: /b", "token-file: /c"]),
                       line: 2, field: "api.listen", message: "is not an address and port", hint: "ADDRESS:PORT")
        expectOneError(Self.file(["socket: run/api.sock"]), line: 2, field: "api.socket", message: "not an absolute path")
        expectOneError(Self.file(["token-file: /etc/usher/api.token"]), line: 2, field: "api.token-file",
                       message: "`listen:` is not", hint: "the Unix socket needs none")
        expectOneError(Self.file(["listne: 198.51.100.2:9443"]), line: 2, field: "api.listne", message: "unknown field \"listne\"")
    }
}
