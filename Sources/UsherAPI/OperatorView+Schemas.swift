import Foundation
import UsherBPF
import UsherControl
import UsherCore
import UsherDaemon

/// The view in the API's words (the types generated from openapi.yaml).
extension OperatorView.Service {
    var schema: Components.Schemas.Service {
        Components.Schemas.Service(
            name: config.name, vip: config.vip.description, port: Int(config.port),
            _protocol: config.proto == .udp ? .udp : .tcp, mode: config.mode.rawValue,
            state: Components.Schemas.Service.StatePayload(rawValue: state.rawValue) ?? .down,
            packets: counters.map { Int64(clamping: $0.packets) }, bytes: counters.map { Int64(clamping: $0.bytes) },
            newFlows: counters.map { Int64(clamping: $0.newFlows) },
            reals: reals.map { $0.schema(counters: realCounters[$0.address]) })
    }
}

extension RealView {
    func schema(counters: RealStats? = nil) -> Components.Schemas.Real {
        Components.Schemas.Real(
            service: service, address: address, port: port.map(Int.init), weight: Int(weight),
            state: Components.Schemas.Real.StatePayload(rawValue: state.rawValue) ?? .down,
            backup: backup == true, checked: checked, since: since, lastCheck: lastCheck, lastPassed: lastPassed,
            lastError: lastError, lastLatencySeconds: lastLatencySeconds,
            packets: counters.map { Int64(clamping: $0.packets) }, bytes: counters.map { Int64(clamping: $0.bytes) },
            newFlows: counters.map { Int64(clamping: $0.newFlows) })
    }
}

extension DaemonStatus.Reload {
    var schema: Components.Schemas.ReloadResult {
        Components.Schemas.ReloadResult(ok: ok, at: at, errors: errors, changes: changes)
    }
}

extension DaemonEvent {
    var schema: Components.Schemas.Event {
        Components.Schemas.Event(
            sequence: Int64(sequence), at: at,
            kind: Components.Schemas.Event.KindPayload(rawValue: kind.rawValue) ?? .error,
            severity: Components.Schemas.Event.SeverityPayload(rawValue: severity.rawValue) ?? .error,
            service: service, pool: pool, real: real, state: state, previousState: previousState, message: message)
    }
}

extension TrackedFlow {
    var schema: Components.Schemas.Flow {
        func endpoint(_ address: IPAddress, _ port: UInt16) -> String {
            address.isV4 ? "\(address):\(port)" : "[\(address)]:\(port)"
        }
        return Components.Schemas.Flow(
            _protocol: proto.rawValue, client: endpoint(client, clientPort), vip: endpoint(vip, vipPort),
            service: service, mode: mode, real: real.map { endpoint($0, realPort) },
            snat: snatAddress.map { endpoint($0, snatPort ?? 0) }, state: state, idleSeconds: Int64(clamping: idleSeconds))
    }
}
