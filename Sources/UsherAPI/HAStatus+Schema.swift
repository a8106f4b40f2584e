import UsherHA

/// The pair's role in the API's words (the types generated from openapi.yaml).
extension HAStatus {
    var schema: Components.Schemas.HAStatus {
        Components.Schemas.HAStatus(
            role: Components.Schemas.HAStatus.RolePayload(rawValue: role.rawValue) ?? .starting, since: since,
            interface: interface, virtualRouterId: virtualRouterID, peers: peers, keepalivedPid: keepalivedPID.map { Int($0) },
            restarts: restarts)
    }
}
