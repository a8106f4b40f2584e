import NIOSSL
import UsherCore

/// The TLS client side of `https` checks: verification as the check says (its CA file, the
/// system's roots, or nothing), SNI and the verified name from `serverName`.
enum ProbeTLS {
    static func makeContext(_ settings: HealthCheckTLS) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        if !settings.verify {
            configuration.certificateVerification = .none
        } else {
            configuration.certificateVerification = .fullVerification
            if let caPath = settings.caPath {
                let certificates: [NIOSSLCertificate]
                do {
                    certificates = try NIOSSLCertificate.fromPEMFile(caPath)
                } catch {
                    throw Probe.ProbeSetupError(reason: "cannot read the CA file \(caPath): \(error)")
                }
                guard !certificates.isEmpty else { throw Probe.ProbeSetupError(reason: "no certificate in the CA file \(caPath)") }
                configuration.trustRoots = .certificates(certificates)
            }
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// Why a TLS context could not be made, in words.
    static func describeSetup(_ error: Error) -> String {
        if let error = error as? Probe.ProbeSetupError { return error.reason }
        return describe(error)
    }

    /// A TLS error in words.
    static func describe(_ error: Error) -> String {
        switch error {
        case let error as NIOSSLError: return "TLS: \(error)"
        case let error as BoringSSLError: return "TLS: \(error)"
        case let error as NIOSSLExtraError: return "TLS: \(error)"
        default: return "\(error)"
        }
    }
}
