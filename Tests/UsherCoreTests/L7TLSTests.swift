import Testing
@testable import UsherCore

/// `tls:` of an https service: where it belongs, and the certificate and key files it names.
@Suite struct L7TLSTests {
    @Test func httpsNeedsTLS() throws {
        expectOneError(serviceFile(port: "443", mode: "https", extra: try l7Extra(mode: "http"), reals: []), line: 2,
                       field: "services[0].tls", message: "an https service needs `tls:` with its certificates",
                       hint: "add `tls:` with `certificates:`")
    }

    @Test func httpRefusesTLS() throws {
        // l7Extra gives pools (line 7), default-pool (8) and, for https, tls (9).
        expectOneError(serviceFile(mode: "http", extra: try l7Extra(mode: "https"), reals: []), line: 9,
                       field: "services[0].tls", message: "tls is for https services; this one is http", hint: "set `mode: https`")
    }

    @Test func aCertificateFileThatDoesNotExist() throws {
        let dir = try L7Files.directory()
        try expectL7Error("cert: @DIR@/site.pem", "cert: @DIR@/missing.pem", field: "services[0].tls.certificates[0].cert",
                          message: "no file at \(dir)/missing.pem", hint: "must be there when the config is applied")
    }

    @Test func aKeyFileThatDoesNotExist() throws {
        let dir = try L7Files.directory()
        try expectL7Error("key: @DIR@/other.key", "key: @DIR@/nope/other.key", field: "services[0].tls.certificates[1].key",
                          message: "no file at \(dir)/nope/other.key")
    }

    @Test func aKeyGivenAsTheCertificate() throws {
        let dir = try L7Files.directory()
        try expectL7Error("cert: @DIR@/site.pem", "cert: @DIR@/site.key", field: "services[0].tls.certificates[0].cert",
                          message: "\(dir)/site.key holds a private key but no certificate", hint: "`cert:` names the certificate chain")
    }

    @Test func aCertificateGivenAsTheKey() throws {
        let dir = try L7Files.directory()
        try expectL7Error("key: @DIR@/site.key", "key: @DIR@/site.pem", field: "services[0].tls.certificates[0].key",
                          message: "\(dir)/site.pem holds a certificate but no private key")
    }

    @Test func anEncryptedKeyIsRefused() throws {
        let dir = try L7Files.directory()
        try expectL7Error("key: @DIR@/site.key", "key: @DIR@/encrypted.key", field: "services[0].tls.certificates[0].key",
                          message: "the private key in \(dir)/encrypted.key is encrypted", hint: "cannot ask for a passphrase")
    }

    @Test func aDERCertificateIsNotPEM() throws {
        let dir = try L7Files.directory()
        try expectL7Error("cert: @DIR@/site.pem", "cert: @DIR@/site.der", field: "services[0].tls.certificates[0].cert",
                          message: "\(dir)/site.der has no PEM certificate (-----BEGIN CERTIFICATE-----)",
                          hint: "openssl x509 -inform der -in \(dir)/site.der")
    }

    @Test func anEmptyFileHasNoCertificate() throws {
        let dir = try L7Files.directory()
        try expectL7Error("cert: @DIR@/other.pem", "cert: @DIR@/empty.pem", field: "services[0].tls.certificates[1].cert",
                          message: "\(dir)/empty.pem has no PEM certificate")
    }

    @Test func aDirectoryIsNoCertificate() throws {
        let dir = try L7Files.directory()
        try expectL7Error("cert: @DIR@/site.pem", "cert: @DIR@/logs", field: "services[0].tls.certificates[0].cert",
                          message: "\(dir)/logs is a directory, not a certificate file")
    }

    @Test func aRelativePathIsRefused() throws {
        try expectL7Error("cert: @DIR@/site.pem", "cert: certs/site.pem", field: "services[0].tls.certificates[0].cert",
                          message: "certificate file \"certs/site.pem\" is a relative path", hint: "absolute path")
    }

    @Test func traditionalAndCombinedPEMFilesAreAccepted() throws {
        let dir = try L7Files.directory()
        let ec = try expectL7Valid("key: @DIR@/site.key", "key: @DIR@/traditional.key")
        #expect(ec.services.first?.l7?.tls?.certificates.first?.keyPath == "\(dir)/traditional.key")
        // One file with the chain and the key, named twice.
        var yaml = try l7File(replacing: "cert: @DIR@/site.pem", with: "cert: @DIR@/combined.pem")
        yaml = yaml.replacingOccurrences(of: "key: \(dir)/site.key", with: "key: \(dir)/combined.pem")
        let config = try ConfigLoader.parse(yaml: yaml, file: "f")
        #expect(config.services[0].l7?.tls?.certificates.first == CertificateFiles(certificatePath: "\(dir)/combined.pem",
                                                                                  keyPath: "\(dir)/combined.pem"))
    }

    @Test func aCertificateWithoutItsKey() throws {
        try expectL7Error("key: @DIR@/other.key", "# no key", line: l7Line("- cert: @DIR@/other.pem"),
                          field: "services[0].tls.certificates[1].key", message: "missing field \"key\" in a certificate",
                          hint: "add `key:`")
    }

    @Test func theSameCertificateTwice() throws {
        let dir = try L7Files.directory()
        try expectL7Error("cert: @DIR@/other.pem", "cert: @DIR@/site.pem", field: "services[0].tls.certificates[1].cert",
                          message: "certificate \(dir)/site.pem is already listed at services[0].tls.certificates[0].cert (line 9)")
    }

    @Test func noCertificates() throws {
        let extra = try l7Extra(mode: "http") + ["tls: {certificates: []}"]
        expectOneError(serviceFile(port: "443", mode: "https", extra: extra, reals: []), line: 9,
                       field: "services[0].tls.certificates", message: "no certificates given", hint: "the first is for clients without SNI")
    }

    @Test func tlsWithoutCertificates() throws {
        let extra = try l7Extra(mode: "http") + ["tls: {alpn: [h2]}"]
        expectOneError(serviceFile(port: "443", mode: "https", extra: extra, reals: []), line: 9,
                       field: "services[0].tls.certificates", message: "missing field \"certificates\" in the TLS settings")
    }

    @Test func anUnknownALPNProtocol() throws {
        try expectL7Error("alpn: [h2, http/1.1]", "alpn: [h2, http2]", field: "services[0].tls.alpn[1]",
                          message: "unknown ALPN protocol \"http2\"", hint: "did you mean \"h2\"?")
    }

    @Test func anALPNProtocolTwice() throws {
        try expectL7Error("alpn: [h2, http/1.1]", "alpn: [http/1.1, h2, http/1.1]", field: "services[0].tls.alpn[2]",
                          message: "ALPN protocol http/1.1 is already listed at services[0].tls.alpn[0] (line 13)")
    }

    @Test func noALPNProtocol() throws {
        try expectL7Error("alpn: [h2, http/1.1]", "alpn: []", field: "services[0].tls.alpn", message: "no ALPN protocol given",
                          hint: "leave alpn out for [h2, http/1.1]")
    }

    @Test func http11OnlyIsAnALPNChoice() throws {
        #expect(try expectL7Valid("alpn: [h2, http/1.1]", "alpn: [http/1.1]").services.first?.l7?.tls?.alpn == [.http1_1])
    }

    @Test func aMisspeltTLSField() throws {
        try expectL7Error("alpn: [h2, http/1.1]", "alpns: [h2]", field: "services[0].tls.alpns",
                          message: "unknown field \"alpns\" in the TLS settings", hint: "did you mean \"alpn\"?")
    }
}
