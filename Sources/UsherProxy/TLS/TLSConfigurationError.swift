/// Why certificates, keys or a CA could not be used. Each case names the file and says what to do.
public enum TLSConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// An `https` service lists no certificate at all.
    case noCertificates
    /// A file is missing or cannot be read; `role` is "certificate chain", "private key" or "CA".
    case unreadableFile(path: String, role: String, reason: String)
    /// The certificate file holds no PEM certificate.
    case noCertificateInFile(path: String)
    /// The key file holds no usable PEM private key (encrypted keys are not supported).
    case invalidPrivateKey(path: String)
    /// The private key is not the one of the chain's first certificate.
    case keyDoesNotMatchCertificate(keyPath: String, certificatePath: String)
    /// BoringSSL refused the configuration for another reason.
    case rejected(path: String, reason: String)

    public var description: String {
        switch self {
        case .noCertificates:
            return "https service without certificates: list at least one certificate/key pair under tls.certificates"
        case let .unreadableFile(path, role, reason):
            return "\(path): cannot read the \(role) (\(reason)); check the path and its permissions"
        case let .noCertificateInFile(path):
            return "\(path): no PEM certificate found; the file must hold the server certificate first, then its intermediates, each as '-----BEGIN CERTIFICATE-----'"
        case let .invalidPrivateKey(path):
            return "\(path): not an unencrypted PEM private key (RSA, EC or PKCS#8); decrypt it with 'openssl pkey -in KEY -out KEY.plain'"
        case let .keyDoesNotMatchCertificate(keyPath, certificatePath):
            return "\(keyPath): this private key does not belong to the certificate in \(certificatePath); pair each certificate with its own key"
        case let .rejected(path, reason):
            return "\(path): refused by the TLS library: \(reason)"
        }
    }
}
