import Foundation

/// What one part writes to `Docs/bench/results/<part>.json`: the figures with when, where and how
/// they were made.
public struct PartResult<Body: Codable & Sendable>: Codable, Sendable {
    public var part: String
    public var command: String
    public var started: String
    public var seconds: Double
    public var machine: Machine
    public var body: Body

    public init(part: String, command: String, started: Date, seconds: Double, machine: Machine, body: Body) {
        self.part = part
        self.command = command
        self.started = ISO8601DateFormatter().string(from: started)
        self.seconds = (seconds * 10).rounded() / 10
        self.machine = machine
        self.body = body
    }

    public func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try encoder.encode(self).write(to: URL(fileURLWithPath: directory + "/\(part).json"))
    }

    public static func read(part: String, from directory: String) -> PartResult? {
        guard let data = FileManager.default.contents(atPath: directory + "/\(part).json") else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(PartResult.self, from: data)
    }
}
