import UsherCore

/// One of Usher's XDP programs on an interface of the current network namespace.
public struct AttachmentInfo: Hashable, Codable, Sendable, CustomStringConvertible {
    public var interface: String
    public var ifindex: UInt32
    public var mode: XDPMode
    public var program: AttachProgram
    /// The kernel's id of the program (as `bpftool prog show id N` shows it).
    public var programID: UInt32
    public var programName: String
    /// True when the program runs under libxdp's dispatcher (beside other XDP programs);
    /// false when it is the interface's only XDP program.
    public var viaDispatcher: Bool
    /// How it came to be attached when that is worth knowing (a fallback, a replacement).
    public var note: String?

    public init(interface: String, ifindex: UInt32, mode: XDPMode, program: AttachProgram, programID: UInt32,
                programName: String, viaDispatcher: Bool, note: String? = nil) {
        self.interface = interface
        self.ifindex = ifindex
        self.mode = mode
        self.program = program
        self.programID = programID
        self.programName = programName
        self.viaDispatcher = viaDispatcher
        self.note = note
    }

    public var description: String {
        let how = viaDispatcher ? "under libxdp's dispatcher" : "as the only XDP program"
        var text = "\(programName) (id \(programID)) on \(interface) (ifindex \(ifindex)), \(mode) mode, \(how)"
        if let note { text += "; \(note)" }
        return text
    }
}
