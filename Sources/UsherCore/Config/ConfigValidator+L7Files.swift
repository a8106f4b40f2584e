import Foundation

/// Files named by the L7 settings: certificates, keys and CAs must exist, be readable and
/// hold PEM blocks of the right kind. Only a textual check: the proxy parses them for real
/// when it loads them.
extension ConfigValidator {
    enum PEMKind {
        case certificate
        case privateKey
    }

    /// PEM files larger than this are not certificates or keys (a chain of ten is ~20 KiB).
    static let maxPEMFileBytes = 1 << 20

    /// Why the file at `path` cannot serve as `kind`, with a hint; nil when it looks right.
    static func pemFileProblem(_ path: String, expecting kind: PEMKind) -> (String, String)? {
        let what = kind == .certificate ? "certificate" : "key"
        let example = kind == .certificate ? "/etc/usher/site.pem" : "/etc/usher/site.key"
        if path.isEmpty { return ("no \(what) file given", "write the path of a PEM file, e.g. \(example)") }
        if !path.hasPrefix("/") {
            return ("\(what) file \"\(path)\" is a relative path", "write an absolute path, e.g. \(example)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return ("no file at \(path)", "check the path; the \(what) must be there when the config is applied")
        }
        if isDirectory.boolValue { return ("\(path) is a directory, not a \(what) file", "name the PEM file inside it") }
        guard FileManager.default.isReadableFile(atPath: path), let handle = FileHandle(forReadingAtPath: path) else {
            return ("\(path) cannot be read", "let the user usher runs as read it (e.g. chmod 640 and the usher group)")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maxPEMFileBytes + 1)) ?? Data()
        if data.count > maxPEMFileBytes {
            return ("\(path) is larger than \(describeBytes(maxPEMFileBytes)), too large for a PEM \(what)", "name the PEM file of the \(what)")
        }
        let text = String(decoding: data, as: UTF8.self)
        switch kind {
        case .certificate:
            if text.contains("-----BEGIN CERTIFICATE-----"), text.contains("-----END CERTIFICATE-----") { return nil }
            if text.contains("PRIVATE KEY-----") {
                return ("\(path) holds a private key but no certificate", "`cert:` names the certificate chain, `key:` its key")
            }
            if !data.isEmpty, !text.contains("-----BEGIN") {
                return ("\(path) has no PEM certificate (-----BEGIN CERTIFICATE-----)",
                        "if it is DER, convert it: openssl x509 -inform der -in \(path) -out \(path).pem")
            }
            return ("\(path) has no PEM certificate (-----BEGIN CERTIFICATE-----)", "name the PEM file of the certificate chain")
        case .privateKey:
            if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || text.contains("Proc-Type: 4,ENCRYPTED") {
                return ("the private key in \(path) is encrypted", "usher cannot ask for a passphrase: decrypt it with openssl pkey -in \(path) -out NEW-FILE")
            }
            for label in ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]
            where text.contains("-----BEGIN \(label)-----") && text.contains("-----END \(label)-----") {
                return nil
            }
            if text.contains("-----BEGIN CERTIFICATE-----") {
                return ("\(path) holds a certificate but no private key", "`key:` names the file of the certificate's private key")
            }
            return ("\(path) has no PEM private key (-----BEGIN PRIVATE KEY-----)", "name the PEM file of the certificate's private key")
        }
    }

    /// Why an access log cannot be written at `path` (an absolute path), if it cannot.
    static func logDirectoryProblem(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "access log \(path) is a directory"
        }
        let directory = (path as NSString).deletingLastPathComponent
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "no directory \(directory) for the access log"
        }
        return nil
    }
}
