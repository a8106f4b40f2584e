import Foundation
import NIOSSL
import UsherCore

/// What `usher apply` (and `--dry-run`, and a reload) checks of every https service's
/// certificates beyond the files being PEM: each key belongs to its certificate and the
/// certificate is valid now — the proxy would otherwise fail at run time. Certificates that end
/// within 30 days are warned about.
public enum TLSMaterialCheck {
    /// How long before its end a certificate is warned about.
    public static let renewalWarning: TimeInterval = 30 * 86400

    /// Problems, at `services[i].tls.certificates[k].cert` or `.key`.
    @Sendable public static func issues(_ config: BalancerConfig) -> [ValidationIssue] {
        var out: [ValidationIssue] = []
        let now = time(nil)
        forEachCertificate(config) { path, files in
            do {
                let entry = try CertificateSet.load(files)
                let leaf = entry.chain[0]
                if leaf.notValidAfter < now {
                    out.append(ValidationIssue(path.key("cert"), "the certificate in \(files.certificatePath) expired on \(day(leaf.notValidAfter))",
                                               hint: "renew it; clients refuse an expired certificate"))
                } else if leaf.notValidBefore > now {
                    out.append(ValidationIssue(path.key("cert"), "the certificate in \(files.certificatePath) is not valid before \(day(leaf.notValidBefore))",
                                               hint: "check the machine's clock, or wait; clients refuse it until then"))
                }
            } catch let error as TLSConfigurationError {
                switch error {
                case .keyDoesNotMatchCertificate, .invalidPrivateKey:
                    out.append(ValidationIssue(path.key("key"), "\(error)", hint: "name the key made with this certificate"))
                default:
                    out.append(ValidationIssue(path.key("cert"), "\(error)"))
                }
            } catch {
                out.append(ValidationIssue(path.key("cert"), "\(files.certificatePath): \(error)"))
            }
        }
        return out
    }

    /// Warnings, one line each: certificates that end within `renewalWarning`.
    public static func warnings(_ config: BalancerConfig, now: Date = Date()) -> [String] {
        var out: [String] = []
        forEachCertificate(config) { _, files in
            guard let leaf = (try? CertificateSet.load(files))?.chain.first else { return }
            let end = Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter))
            let left = end.timeIntervalSince(now)
            if left >= 0, left < renewalWarning {
                out.append("the certificate in \(files.certificatePath) ends on \(day(leaf.notValidAfter)), in \(Int(left / 86400)) days: renew it")
            }
        }
        return out
    }

    private static func forEachCertificate(_ config: BalancerConfig, _ body: (FieldPath, CertificateFiles) -> Void) {
        for (i, service) in config.services.enumerated() {
            guard let tls = service.l7?.tls else { continue }
            for (k, files) in tls.certificates.enumerated() {
                body(FieldPath.root.key("services").index(i).key("tls").key("certificates").index(k), files)
            }
        }
    }

    private static func day(_ time: time_t) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(time)))
    }
}

extension ConfigLoader {
    /// The file at `path`, checked completely, certificates and keys included.
    public static func loadChecked(path: String) throws(ConfigErrors) -> BalancerConfig {
        try load(path: path, extraChecks: [TLSMaterialCheck.issues])
    }
}
