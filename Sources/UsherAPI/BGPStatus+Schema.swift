import UsherBGP

/// The BGP side in the API's words (the types generated from openapi.yaml).
extension BGPStatus {
    var schema: Components.Schemas.BGPStatus {
        Components.Schemas.BGPStatus(
            sessions: sessions.map {
                .init(name: $0.name, neighbor: $0.neighbor, remoteAs: Int64($0.remoteAS), state: $0.state,
                      established: $0.established, since: $0.since, info: $0.info)
            },
            vips: vips.map { .init(vip: $0.vip, announced: $0.announced) },
            error: error)
    }
}
