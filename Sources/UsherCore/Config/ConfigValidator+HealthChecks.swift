import Foundation

/// Health checks of L4 services, of their reals and of L7 pools: timing in range, what each type
/// needs (a path, bytes to send, a name to ask for, a program that can run), and a port to probe
/// where the traffic has none (an every-port service).
extension ConfigValidator {
    /// Slow start: from none up to an hour.
    static let slowStartSeconds: ClosedRange<Double> = 0...3600

    static func checkServiceHealth(_ service: VirtualService, at path: FieldPath, into out: inout [ValidationIssue]) {
        guard service.mode.isLayer4 else { return }
        if let (problem, hint) = boundsProblem("slow-start", seconds: service.slowStartSeconds, slowStartSeconds) {
            out.append(.init(path.key("slow-start"), problem, hint: hint))
        }
        var serviceIssues: [ValidationIssue] = []
        if let check = service.healthCheck {
            // The service's check goes to every real without its own port.
            let portless = service.reals.contains { $0.healthCheck == nil && ($0.port ?? service.port) == 0 }
            checkHealthCheck(check, at: path.key("health-check"), trafficPort: portless || service.reals.isEmpty ? service.port : nil,
                             into: &serviceIssues)
            out += serviceIssues
        }
        for (j, real) in service.reals.enumerated() {
            guard let check = real.healthCheck else { continue }
            var issues: [ValidationIssue] = []
            checkHealthCheck(check, at: path.key("reals").index(j).key("health-check"), trafficPort: real.port ?? service.port, into: &issues)
            // What the real took from the service's check is reported there once.
            out += issues.filter { issue in !serviceIssues.contains { $0.message == issue.message } }
        }
    }

    /// `trafficPort`: the port the checked reals take traffic on, when it may be 0 (nil: never).
    static func checkHealthCheck(_ check: HealthCheck, at path: FieldPath, trafficPort: UInt16? = nil, into out: inout [ValidationIssue]) {
        checkTiming(check, at: path, into: &out)
        if check.needsPort, check.port == nil, trafficPort == 0 {
            out.append(.init(path.key("port"), "a \(check.kind.name) check of an every-port service needs a port to check",
                             hint: "add `port: 80` (the port the real answers checks on) to the health check", absent: path.key("port")))
        }
        switch check.kind {
        case .none, .tcp:
            break
        case let .http(http):
            checkHTTP(http, at: path, into: &out)
        case let .tls(tls):
            checkTLS(tls, at: path, into: &out)
        case let .https(http, tls):
            checkHTTP(http, at: path, into: &out)
            checkTLS(tls, at: path, into: &out)
        case let .udp(udp):
            if udp.send.isEmpty {
                out.append(.init(path.key("send"), "a udp check sends nothing", hint: "give the bytes a healthy real answers, e.g. `send: \"PING\\n\"`"))
            }
            if case let .regex(pattern) = udp.expect {
                do {
                    _ = try Regex(pattern)
                } catch {
                    out.append(.init(path.key("expect-regex"), "expect-regex \"\(pattern)\" is not a regular expression: \(error)",
                                     hint: "fix the pattern, e.g. ^OK; escape special characters with \\"))
                }
            }
        case let .dns(dns):
            if let problem = dnsNameProblem(dns.name) {
                out.append(.init(path.key("query"), problem, hint: "write the name to ask for, e.g. www.example.com"))
            }
        case let .script(script):
            if let (problem, hint) = scriptProblem(script.path) { out.append(.init(path.key("script"), problem, hint: hint)) }
        }
    }

    private static func checkTiming(_ check: HealthCheck, at path: FieldPath, into out: inout [ValidationIssue]) {
        if let (problem, hint) = boundsProblem("interval", seconds: check.intervalSeconds, L7Bounds.healthIntervalSeconds) {
            out.append(.init(path.key("interval"), problem, hint: hint))
        }
        if !(check.timeoutSeconds > 0) {
            out.append(.init(path.key("timeout"), "timeout \(describeSeconds(check.timeoutSeconds)) is not above 0",
                             hint: "give a check time to answer, e.g. 1s, shorter than the interval"))
        } else if check.timeoutSeconds >= check.intervalSeconds {
            out.append(.init(path.key("timeout"),
                             "timeout \(describeSeconds(check.timeoutSeconds)) is not shorter than the interval \(describeSeconds(check.intervalSeconds))",
                             hint: "a check must end before the next one starts: shorten the timeout or lengthen the interval"))
        }
        for (key, value) in [("rise", check.rise), ("fall", check.fall)] {
            if let (problem, hint) = boundsProblem(key, count: value, L7Bounds.riseFall) { out.append(.init(path.key(key), problem, hint: hint)) }
        }
    }

    private static func checkTLS(_ tls: HealthCheckTLS, at path: FieldPath, into out: inout [ValidationIssue]) {
        if let ca = tls.caPath, let (problem, hint) = pemFileProblem(ca, expecting: .certificate) {
            out.append(.init(path.key("ca"), problem, hint: hint))
        }
        if let name = tls.serverName, name.isEmpty || name.contains(" ") || name.contains("*") {
            out.append(.init(path.key("server-name"), "server-name \"\(name)\" is not a host name", hint: "write the DNS name in the real's certificate"))
        }
    }

    private static func checkHTTP(_ http: HTTPCheck, at path: FieldPath, into out: inout [ValidationIssue]) {
        if !http.path.hasPrefix("/") {
            out.append(.init(path.key("path"), "health check path \"\(http.path)\" does not start with /",
                             hint: "write the URL path to GET, e.g. /\(http.path.isEmpty ? "healthz" : http.path)"))
        } else if let bad = http.path.unicodeScalars.first(where: { $0.value <= 0x20 || $0.value >= 0x7f }) {
            let what = bad == " " ? "a space" : "a character that is not printable ASCII"
            out.append(.init(path.key("path"), "health check path \"\(http.path)\" contains \(what)", hint: "percent-encode it, e.g. %20"))
        }
        for status in http.expectStatus.ranges.flatMap({ Set([$0.lowerBound, $0.upperBound]).sorted() }) {
            if let (problem, hint) = boundsProblem("expect-status", count: status, L7Bounds.expectStatus) {
                out.append(.init(path.key("expect-status"), problem, hint: hint))
            }
        }
        if http.method.isEmpty || !http.method.allSatisfy({ $0.isASCII && ($0.isUppercase || $0 == "-") }) {
            out.append(.init(path.key("method"), "method \"\(http.method)\" is not an HTTP method", hint: "write GET, HEAD, OPTIONS or another method in capitals"))
        }
        if let host = http.host, host.isEmpty || host.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7f }) {
            out.append(.init(path.key("host"), "host \"\(host)\" cannot be a Host header", hint: "write a name such as app.example, with no spaces"))
        }
    }

    static func dnsNameProblem(_ name: String) -> String? {
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        if trimmed.isEmpty { return "no DNS name given" }
        if trimmed.utf8.count > 253 { return "DNS name \"\(name)\" is longer than 253 characters" }
        if let label = trimmed.split(separator: ".", omittingEmptySubsequences: false).first(where: { $0.isEmpty || $0.utf8.count > 63 }) {
            return label.isEmpty ? "DNS name \"\(name)\" has an empty label" : "DNS label \"\(label)\" is longer than 63 characters"
        }
        return nil
    }

    /// Why the program at `path` cannot run as a check, with a hint; nil when it can.
    static func scriptProblem(_ path: String) -> (String, String)? {
        if path.isEmpty { return ("no program given", "write its absolute path, e.g. /usr/local/bin/check-app") }
        if !path.hasPrefix("/") { return ("script \"\(path)\" is a relative path", "write an absolute path, e.g. /usr/local/bin/\(path)") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return ("no program at \(path)", "check the path; the program must be there when the config is applied")
        }
        if isDirectory.boolValue { return ("\(path) is a directory, not a program", "name the program inside it") }
        if !FileManager.default.isExecutableFile(atPath: path) {
            return ("\(path) is not executable", "make it executable: chmod +x \(path)")
        }
        return nil
    }
}
