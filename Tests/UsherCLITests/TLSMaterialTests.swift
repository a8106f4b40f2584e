import Foundation
import Testing
import UsherTestSupport

/// A certificate and a key that do not belong together, or a certificate out of its validity,
/// are refused by `apply --dry-run` and `apply` with the field's place (issue 11, defect 4); one
/// that ends within 30 days is applied with a warning. Certificates made with openssl.
@Suite("TLS material", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct TLSMaterialTests {
    /// A self-signed certificate and its key, valid for `days` days from now.
    static func pair(_ sandbox: Sandbox, _ name: String, days: Int = 30) throws -> (cert: String, key: String) {
        let cert = sandbox.workDir + "/\(name).pem", key = sandbox.workDir + "/\(name).key"
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-subj", "/CN=\(name).example", "-keyout", key, "-out", cert, "-days", String(days)])
        return (cert, key)
    }

    /// A self-signed certificate valid on 1 January 2020 only (openssl 3.0's `req` cannot
    /// backdate, its `ca` can).
    static func expiredPair(_ sandbox: Sandbox) throws -> (cert: String, key: String) {
        let dir = sandbox.workDir + "/ca"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/index.txt", contents: Data())
        try "01\n".write(toFile: dir + "/serial", atomically: true, encoding: .utf8)
        try """
            [ca]
            default_ca = d
            [d]
            database = \(dir)/index.txt
            new_certs_dir = \(dir)
            serial = \(dir)/serial
            default_md = sha256
            policy = p
            [p]
            commonName = supplied

            """.write(toFile: dir + "/ca.cnf", atomically: true, encoding: .utf8)
        let cert = dir + "/old.pem", key = dir + "/old.key"
        try openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=old.example",
                     "-keyout", key, "-out", dir + "/old.csr"])
        try openssl(["ca", "-batch", "-notext", "-config", dir + "/ca.cnf", "-selfsign", "-keyfile", key, "-in", dir + "/old.csr",
                     "-out", cert, "-startdate", "20200101000000Z", "-enddate", "20200102000000Z"])
        return (cert, key)
    }

    static func openssl(_ arguments: [String]) throws {
        let result = try Subprocess.run("/usr/bin/openssl", arguments)
        #expect(result.status == 0, "openssl \(arguments.joined(separator: " ")): \(result)")
    }

    static func config(cert: String, key: String) -> String {
        """
        services:
          - name: site
            vip: 203.0.113.14
            port: 443
            protocol: tcp
            mode: https
            tls:
              certificates:
                - cert: \(cert)
                  key: \(key)
            pools:
              - name: reals
                reals:
                  - address: 198.51.100.11
                    port: 80
            default-pool: reals

        """
    }

    @Test("a key of another certificate: exit 65 at the key's line, in --dry-run and apply")
    func mismatchedKey() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let a = try Self.pair(sandbox, "a"), b = try Self.pair(sandbox, "b")
        let file = try sandbox.write("tls.yaml", Self.config(cert: a.cert, key: b.key))
        for arguments in [["apply", "--dry-run", "-f", file], ["apply", "-f", file]] {
            let result = try sandbox.usher(arguments)
            #expect(result.status == 65, "\(result)")
            #expect(result.stderr.contains("tls.yaml:10:") && result.stderr.contains("services[0].tls.certificates[0].key"), "\(result.stderr)")
            #expect(result.stderr.contains("does not belong to the certificate"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: sandbox.stateDir + "/config.json"), "nothing was applied")
    }

    @Test("an expired certificate is refused; one ending within 30 days is applied with a warning")
    func validity() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let old = try Self.expiredPair(sandbox)
        let expired = try sandbox.usher("apply", "--dry-run", "-f", try sandbox.write("old.yaml", Self.config(cert: old.cert, key: old.key)))
        #expect(expired.status == 65 && expired.stderr.contains("expired on 2020-01-02"), "\(expired)")
        let soon = try Self.pair(sandbox, "soon", days: 10)
        let warned = try sandbox.usher("apply", "--dry-run", "-f", try sandbox.write("soon.yaml", Self.config(cert: soon.cert, key: soon.key)))
        #expect(warned.status == 0, "\(warned)")
        #expect(warned.stderr.contains("usher: warning: the certificate in \(soon.cert) ends on"), "\(warned.stderr)")
        let fine = try Self.pair(sandbox, "fine", days: 90)
        let quiet = try sandbox.usher("apply", "--dry-run", "-f", try sandbox.write("fine.yaml", Self.config(cert: fine.cert, key: fine.key)))
        #expect(quiet.status == 0 && !quiet.stderr.contains("warning"), "\(quiet)")
    }
}
