/// bird.conf could not be put in place.
public struct BirdConfigWriteError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot write \(path): \(reason); check that the state directory is writable by the daemon" }
}
