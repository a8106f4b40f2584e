/// TLS termination: certificates chosen by SNI. The names a certificate serves are its
/// subjectAltName DNS names (wildcards included); the first certificate is the default for
/// clients that send no SNI or a name no certificate has. TLS 1.2 and 1.3 only.
public struct TLSSettings: Hashable, Sendable, Codable {
    public var certificates: [CertificateFiles]
    /// ALPN protocols offered, in preference order.
    public var alpn: [ALPNProtocol]

    public init(certificates: [CertificateFiles], alpn: [ALPNProtocol] = [.h2, .http1_1]) {
        self.certificates = certificates
        self.alpn = alpn
    }
}

/// A PEM certificate chain and its private key, read again on reload.
public struct CertificateFiles: Hashable, Sendable, Codable {
    public var certificatePath: String
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}

public enum ALPNProtocol: String, Hashable, Sendable, Codable, CaseIterable {
    case h2
    case http1_1 = "http/1.1"
}
