import Logging
import UsherControl
import UsherDaemon
import UsherHA

extension KeepalivedSupervisor {
    /// The supervisor of a daemon: keepalived's files in its state directory, the applied
    /// config read from there, every change of role written to its daemon.json.
    static func forDaemon(_ daemon: Daemon, configPath: String, controller: Controller, logger: Logger) throws(HAError) -> KeepalivedSupervisor {
        try KeepalivedSupervisor(
            stateDirectory: controller.stateDirectory, source: configPath,
            currentConfig: { try controller.currentConfig() }, logger: logger,
            onStatus: { status in Task { await daemon.haChanged(status) } })
    }
}
