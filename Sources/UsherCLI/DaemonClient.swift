import Foundation
import UsherControl
import UsherCore
import UsherDaemon

/// The CLI's way to the running daemon: HTTP/1.1 over the API's Unix socket, one request per
/// connection. `usher real drain|weight|enable|disable` ask the daemon when one runs, so the
/// daemon makes the change itself (logged, published as an event) and the two never disagree.
struct DaemonClient {
    let socketPath: String

    /// The client of the daemon running over `controller`'s state directory; nil when none runs.
    static func running(_ controller: Controller) -> DaemonClient? {
        guard DaemonStatus.running(in: controller.stateDirectory) != nil else { return nil }
        let configured = (try? controller.currentConfig())?.api.socket
        let path = configured ?? controller.stateDirectory + "/api.sock"
        return FileManager.default.fileExists(atPath: path) ? DaemonClient(socketPath: path) : nil
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Sends one request; returns the status and the body. Throws when the socket does not answer.
    func request(_ method: String, _ path: String, json body: [String: Int]? = nil, timeout: Int = 30) throws -> (Int, Data) {
        guard let address = UnixSocketAddress(socketPath) else {
            throw Failure(description: "the API socket path \(socketPath) is too long")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var wait = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        guard address.connect(fd) == 0 else {
            throw Failure(description: "cannot reach the daemon at \(socketPath): \(String(cString: strerror(errno)))")
        }
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        var head = "\(method) \(path) HTTP/1.1\r\nHost: usher\r\nConnection: close\r\nContent-Length: \(payload.count)\r\n"
        if body != nil { head += "Content-Type: application/json\r\n" }
        let request = Data((head + "\r\n").utf8) + payload
        try request.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                guard n > 0 else { throw Failure(description: "the daemon closed the API socket while asked") }
                sent += n
            }
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { break }
            guard n > 0 else { throw Failure(description: "no answer from the daemon within \(timeout) s") }
            response.append(contentsOf: buffer[0..<n])
        }
        return try Self.parse(response)
    }

    /// Status and body of an HTTP/1.1 response read to the connection's close.
    static func parse(_ response: Data) throws -> (Int, Data) {
        guard let end = response.range(of: Data("\r\n\r\n".utf8)),
              let head = String(data: response[..<end.lowerBound], encoding: .utf8),
              let statusText = head.split(separator: " ", maxSplits: 2).dropFirst().first, let status = Int(statusText) else {
            throw Failure(description: "the daemon's answer is not HTTP")
        }
        var body = Data(response[end.upperBound...])
        if head.lowercased().contains("transfer-encoding: chunked") { body = dechunk(body) }
        return (status, body)
    }

    private static func dechunk(_ data: Data) -> Data {
        var out = Data()
        var rest = data[...]
        while let line = rest.range(of: Data("\r\n".utf8)),
              let size = Int(String(decoding: rest[..<line.lowerBound], as: UTF8.self), radix: 16), size > 0,
              rest.distance(from: line.upperBound, to: rest.endIndex) >= size {
            let start = line.upperBound
            let stop = rest.index(start, offsetBy: size)
            out.append(rest[start..<stop])
            rest = rest[rest.index(stop, offsetBy: min(2, rest.distance(from: stop, to: rest.endIndex)))...]
        }
        return out
    }

    /// A real's change through the daemon; the error message the daemon gave when it refused.
    func change(real address: IPAddress, of service: String, _ change: RealChange) throws {
        let base = "/api/v1/services/\(Self.escape(service))/reals/\(Self.escape(address.description))"
        let (status, body): (Int, Data)
        switch change {
        case .drain: (status, body) = try request("POST", base + "/drain")
        case .enable: (status, body) = try request("POST", base + "/enable")
        case .disable: (status, body) = try request("POST", base + "/disable")
        case .weight(let weight): (status, body) = try request("PUT", base + "/weight", json: ["weight": Int(weight)])
        }
        guard status == 200 else {
            let message = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["error"] as? String
            throw CLIError(message ?? "the daemon answered \(status)")
        }
    }

    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~:"))) ?? segment
    }
}
