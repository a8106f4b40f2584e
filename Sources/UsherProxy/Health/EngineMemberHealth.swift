import UsherCore
import UsherHealth

/// A service's pool members as the shared `HealthEngine` sees them (an atomic load per
/// member after a short lookup); members the engine does not check are up.
struct EngineMemberHealth: MemberHealthSource {
    let engine: HealthEngine
    let service: String

    func isUp(pool: String, member: PoolMember) -> Bool {
        engine.isUp(HealthTarget(service: service, pool: pool, address: member.address, port: member.port))
    }
}
