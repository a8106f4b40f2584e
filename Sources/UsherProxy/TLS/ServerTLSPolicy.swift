import NIOSSL

/// What the proxy accepts from TLS clients: TLS 1.2 and 1.3 only; for TLS 1.2 only ECDHE key
/// exchange with AEAD ciphers (AES-GCM, ChaCha20-Poly1305), i.e. forward secrecy and no CBC.
/// TLS 1.3 suites are all AEAD and not configurable in BoringSSL.
enum ServerTLSPolicy {
    static let tls12Ciphers: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    static func configuration(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.cipherSuiteValues = tls12Ciphers
        configuration.renegotiationSupport = .none
        return configuration
    }
}
