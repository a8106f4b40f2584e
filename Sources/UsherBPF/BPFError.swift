import Foundation

/// A failure of the data plane: which call failed, on what, why (the errno text), and what the
/// operator can do about it. Every error this module throws is one of these.
public struct BPFError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The libbpf/libxdp call or step that failed, e.g. `bpf_map_update_elem`.
    public let call: String
    /// What it failed on, e.g. `map usher_vips_v2` or `interface eth0`.
    public let subject: String
    /// The errno the kernel or library reported, if any.
    public let errno: Int32?
    /// The explanation (without the errno text), and what to do.
    public let message: String

    public init(call: String, subject: String, errno: Int32? = nil, message: String) {
        self.call = call
        self.subject = subject
        self.errno = errno
        self.message = message
    }

    public var description: String {
        var text = "\(call) on \(subject) failed"
        if let errno { text += ": \(String(cString: strerror(errno)))" }
        if !message.isEmpty { text += (errno == nil ? ": " : "; ") + message }
        return text
    }

    /// An error from a call that returned a negative errno (libbpf 1.x style) or set `errno`.
    /// The hint is the caller's, or a generic one derived from the errno.
    static func call(_ call: String, on subject: String, errno code: Int32, hint: String? = nil) -> BPFError {
        let code = code < 0 ? -code : code
        return BPFError(call: call, subject: subject, errno: code, message: hint ?? BPFError.hint(for: code))
    }

    /// What an operator can usually do about an errno from the bpf() syscall.
    static func hint(for code: Int32) -> String {
        switch code {
        case EPERM, EACCES:
            return "run as root (the data plane needs CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN)"
        case ENOENT:
            return "the object does not exist (was the pin directory removed?)"
        case E2BIG, ENOSPC:
            return "the map is full"
        case ENOMEM:
            return "the kernel is out of memory for BPF maps (check the memory cgroup limit)"
        case EBUSY:
            return "another program holds the resource; see `bpftool net` and `xdp-loader status`"
        case ENODEV:
            return "no such network interface in this network namespace"
        case EOPNOTSUPP, ENOTSUP:
            return "the driver or kernel does not support this; try --xdp-mode generic"
        default:
            return ""
        }
    }
}
