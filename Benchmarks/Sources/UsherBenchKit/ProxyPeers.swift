import Foundation

/// The three proxies of part 5 configured for the same job, and the real servers behind them.
/// Same job: one worker thread; HTTP on one port and TLS 1.3 (the same ECDSA P-256 certificate,
/// HTTP/1.1 only) on another, both to the same pool of real servers in round robin over pooled
/// keep-alive connections; no access log; no header added towards the reals (Usher's
/// `forwarded-headers: false`, no `option forwardfor`, nginx's default `Host` only). Each real
/// is an nginx with one worker answering every request with the same fixed body and an
/// `X-Real` header naming it (the harness checks round robin with it).
public struct ProxyPeers: Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case usher, haproxy, nginx

        public var title: String {
            switch self {
            case .usher: "Usher"
            case .haproxy: "HAProxy"
            case .nginx: "nginx"
            }
        }
    }

    public var directory: String
    public var reals: Int
    /// Worker threads (Usher's `--threads`, HAProxy's `nbthread`) or processes (nginx's
    /// `worker_processes`) of each proxy: 1, or 2 for the two-core runs.
    public var workers = 1
    /// The first port of the reals (each real has its own address, all on this port).
    public var realPort = 8080

    public static let body = Array(repeating: "usher-bench-proxy-fixed-body", count: 4).joined(separator: " ") + "\n"

    public init(directory: String, reals: Int) {
        self.directory = directory
        self.reals = reals
    }

    public func httpPort(_ kind: Kind) -> Int { [Kind.usher: 8001, .haproxy: 8002, .nginx: 8003][kind]! }
    public func httpsPort(_ kind: Kind) -> Int { [Kind.usher: 8441, .haproxy: 8442, .nginx: 8443][kind]! }
    public var certificate: String { directory + "/bench.pem" }
    public var key: String { directory + "/bench.key" }
    /// HAProxy's `crt`: the certificate and its key in one file.
    public var bundle: String { directory + "/bench-bundle.pem" }
    public func configPath(_ kind: Kind) -> String {
        directory + "/" + [Kind.usher: "usher\(tag).yaml", .haproxy: "haproxy\(tag).cfg", .nginx: "nginx-proxy\(tag).conf"][kind]!
    }
    /// What the files of a proxy with more than one worker carry in their names.
    var tag: String { workers > 1 ? "-\(workers)w" : "" }
    public func realConfigPath(_ i: Int) -> String { directory + "/nginx-real\(i + 1).conf" }

    /// The command that runs a proxy in the foreground with `workers` workers.
    public func command(_ kind: Kind, usher: String) -> [String] {
        switch kind {
        case .usher: [usher, "proxy", "-c", configPath(.usher), "--threads", "\(workers)", "--log-level", "warning"]
        case .haproxy: ["haproxy", "-db", "-f", configPath(.haproxy)]
        case .nginx: ["nginx", "-p", directory, "-e", directory + "/nginx-proxy\(tag).error.log", "-c", configPath(.nginx)]
        }
    }

    public func realCommand(_ i: Int) -> [String] {
        ["nginx", "-p", directory, "-e", directory + "/nginx-real\(i + 1).error.log", "-c", realConfigPath(i)]
    }

    /// Makes the certificate (ECDSA P-256, for `bench.example`, valid two days) with openssl
    /// and writes every config.
    public func write() throws {
        let (status, output) = try ProxyLab.run([
            "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=bench.example",
            "-addext", "subjectAltName=DNS:bench.example",
        ], timeout: 30)
        guard status == 0 else { throw BenchCheckError(description: "proxy: openssl could not make the certificate: \(output)") }
        let pem = try String(contentsOfFile: certificate, encoding: .utf8) + String(contentsOfFile: key, encoding: .utf8)
        try pem.write(toFile: bundle, atomically: true, encoding: .utf8)
        try writeProxyConfigs()
        for i in 0..<reals {
            try nginxRealConfig(i).write(toFile: realConfigPath(i), atomically: true, encoding: .utf8)
        }
    }

    /// Writes the three proxies' configs for `workers` workers.
    public func writeProxyConfigs() throws {
        try usherConfig().write(toFile: configPath(.usher), atomically: true, encoding: .utf8)
        try haproxyConfig().write(toFile: configPath(.haproxy), atomically: true, encoding: .utf8)
        try nginxProxyConfig().write(toFile: configPath(.nginx), atomically: true, encoding: .utf8)
    }

    // MARK: - The configs

    public func usherConfig() -> String {
        let members = (0..<reals).map {
            "          - address: \(ProxyLab.realAddress($0))\n            port: \(realPort)\n"
        }.joined()
        func service(_ name: String, mode: String, port: Int, tls: String) -> String {
            """
              - name: \(name)
                vip: \(ProxyLab.vip)
                port: \(port)
                protocol: tcp
                mode: \(mode)
            \(tls)    forwarded-headers: false
                access-log: none
                pools:
                  - name: reals
                    scheduler: round-robin
                    reals:
            \(members)    default-pool: reals

            """
        }
        let tls = """
                tls:
                  certificates:
                    - cert: \(certificate)
                      key: \(key)
                  alpn: [http/1.1]

            """
        return "# usher-bench proxy part: Usher's side of the same job.\nservices:\n"
            + service("bench-http", mode: "http", port: httpPort(.usher), tls: "")
            + service("bench-https", mode: "https", port: httpsPort(.usher), tls: tls)
    }

    public func haproxyConfig() -> String {
        let servers = (0..<reals).map { "    server r\($0 + 1) \(ProxyLab.realAddress($0)):\(realPort)\n" }.joined()
        return """
            # usher-bench proxy part: HAProxy's side of the same job.
            global
                nbthread \(workers)
                maxconn 8000
                ssl-default-bind-options ssl-min-ver TLSv1.3

            defaults
                mode http
                option http-keep-alive
                # Reuse idle connections to the reals for every request ("safe" would open one
                # per client's first request: a new connection per request in part (b)).
                http-reuse always
                timeout connect 5s
                timeout client 60s
                timeout server 60s
                timeout http-keep-alive 60s

            frontend bench-http
                bind \(ProxyLab.vip):\(httpPort(.haproxy))
                default_backend reals

            frontend bench-https
                bind \(ProxyLab.vip):\(httpsPort(.haproxy)) ssl crt \(bundle) alpn http/1.1
                default_backend reals

            backend reals
                balance roundrobin
            \(servers)
            """
    }

    public func nginxProxyConfig() -> String {
        let servers = (0..<reals).map { "        server \(ProxyLab.realAddress($0)):\(realPort);\n" }.joined()
        return """
            # usher-bench proxy part: nginx's side of the same job.
            daemon off;
            user root;
            worker_processes \(workers);
            pid \(directory)/nginx-proxy\(tag).pid;
            error_log \(directory)/nginx-proxy\(tag).error.log warn;
            events { worker_connections 8000; }
            http {
                access_log off;
                keepalive_timeout 60s;
                keepalive_requests 1000000;
                client_body_temp_path \(directory)/nginx-proxy-body;
                proxy_temp_path \(directory)/nginx-proxy-temp;
                upstream reals {
            \(servers)        keepalive 32;
                    keepalive_requests 1000000;
                }
                ssl_protocols TLSv1.3;
                server {
                    listen \(ProxyLab.vip):\(httpPort(.nginx));
                    listen \(ProxyLab.vip):\(httpsPort(.nginx)) ssl;
                    ssl_certificate \(certificate);
                    ssl_certificate_key \(key);
                    location / {
                        proxy_pass http://reals;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                    }
                }
            }

            """
    }

    public func nginxRealConfig(_ i: Int) -> String {
        """
        # usher-bench proxy part: real server \(i + 1), a fixed body.
        daemon off;
        user root;
        worker_processes 1;
        pid \(directory)/nginx-real\(i + 1).pid;
        error_log \(directory)/nginx-real\(i + 1).error.log warn;
        events { worker_connections 8000; }
        http {
            access_log off;
            keepalive_timeout 60s;
            keepalive_requests 1000000;
            default_type text/plain;
            client_body_temp_path \(directory)/nginx-real\(i + 1)-body;
            server {
                listen \(ProxyLab.realAddress(i)):\(realPort);
                location / {
                    add_header X-Real r\(i + 1);
                    return 200 "\(Self.body.dropLast())\\n";
                }
            }
        }

        """
    }
}
