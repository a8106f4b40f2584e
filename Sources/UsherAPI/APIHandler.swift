import Foundation
import Logging
import OpenAPIRuntime
import UsherBPF
import UsherControl
import UsherCore
import UsherDaemon

/// The API's operations (the protocol is generated from openapi.yaml): reads join the daemon's
/// view with the data plane's counters; writes go through the daemon, as `usher real …` and
/// `usher reload` do, and are logged with what changed and who asked.
struct APIHandler: APIProtocol {
    let daemon: Daemon
    let metrics: MetricsExporter
    let rates: RateHistory
    let logger: Logger

    var controller: Controller { daemon.controller }

    /// The view now; counters only when the maps are pinned.
    func view(withCounters: Bool = true) async throws -> OperatorView {
        let daemonView = await daemon.view()
        let pinned = withCounters && controller.mapsArePinned
        return try OperatorView(daemon: daemonView, dataplane: pinned ? try controller.dataplane(create: false) : nil,
                                names: pinned ? try controller.loadDataplaneState() : nil, withCounters: pinned)
    }

    func getStatus(_ input: Operations.GetStatus.Input) async throws -> Operations.GetStatus.Output {
        let view = try await view(withCounters: false)
        let status = view.daemon.status
        return .ok(.init(body: .json(.init(
            pid: Int(status.pid), config: status.configPath, startedAt: status.startedAt, generation: status.generation,
            lastReload: status.lastReload?.schema, services: view.services.count,
            reals: .init(additionalProperties: view.realsByState), bgp: status.bgp?.schema, ha: status.ha?.schema))))
    }

    func listServices(_ input: Operations.ListServices.Input) async throws -> Operations.ListServices.Output {
        .ok(.init(body: .json(try await view().services.map(\.schema))))
    }

    func getService(_ input: Operations.GetService.Input) async throws -> Operations.GetService.Output {
        let view = try await view()
        guard let service = view.services.first(where: { $0.config.name == input.path.service }) else {
            return .notFound(.init(body: .json(unknownService(input.path.service, view))))
        }
        return .ok(.init(body: .json(service.schema)))
    }

    func listReals(_ input: Operations.ListReals.Input) async throws -> Operations.ListReals.Output {
        let view = try await view()
        guard let service = view.services.first(where: { $0.config.name == input.path.service }) else {
            return .notFound(.init(body: .json(unknownService(input.path.service, view))))
        }
        return .ok(.init(body: .json(service.schema.reals)))
    }

    func getStats(_ input: Operations.GetStats.Input) async throws -> Operations.GetStats.Output {
        guard controller.mapsArePinned else { return .serviceUnavailable(.init(body: .json(Self.notPinned))) }
        let view = try await view()
        let global = (view.global ?? [:]).mapValues {
            Components.Schemas.Counter(packets: Int64(clamping: $0.packets), bytes: Int64(clamping: $0.bytes))
        }
        return .ok(.init(body: .json(.init(global: .init(additionalProperties: global), services: view.services.map(\.schema)))))
    }

    func listFlows(_ input: Operations.ListFlows.Input) async throws -> Operations.ListFlows.Output {
        let limit = input.query.limit ?? 100
        guard (1...1000).contains(limit) else {
            return .badRequest(.init(body: .json(.init(error: "limit must be between 1 and 1000"))))
        }
        let offset = input.query.cursor.flatMap { Int($0) } ?? 0
        if let cursor = input.query.cursor, Int(cursor) == nil || offset < 0 || offset > 999_999_999 {
            return .badRequest(.init(body: .json(.init(error: "cursor \(cursor) is not one this API gave; start without it"))))
        }
        if let name = input.query.service, await daemon.view().config.service(named: name) == nil {
            return .notFound(.init(body: .json(unknownService(name, try await view(withCounters: false)))))
        }
        guard controller.mapsArePinned else { return .serviceUnavailable(.init(body: .json(Self.notPinned))) }
        let names = try controller.loadDataplaneState()
        let filtered = input.query.service != nil
        // Without a filter the data plane stops at the page's end; with one, every flow is read.
        let (all, total) = try controller.dataplane(create: false)
            .trackedFlows(limit: filtered ? Int.max : offset + limit + 1, names: names)
        let matching = filtered ? all.filter { $0.service == input.query.service } : all
        let page = matching.dropFirst(offset).prefix(limit)
        let next = matching.count > offset + page.count ? String(offset + page.count) : nil
        return .ok(.init(body: .json(.init(flows: page.map(\.schema), total: total, next: next))))
    }

    func listEvents(_ input: Operations.ListEvents.Input) async throws -> Operations.ListEvents.Output {
        let after = input.query.after ?? 0
        let limit = input.query.limit ?? 100
        guard after >= 0, (1...500).contains(limit) else {
            return .badRequest(.init(body: .json(.init(error: "after must be 0 or more, and limit between 1 and 500"))))
        }
        return .ok(.init(body: .json(daemon.events.events(after: Int(clamping: after), limit: limit).map(\.schema))))
    }

    func getRates(_ input: Operations.GetRates.Input) async throws -> Operations.GetRates.Output {
        .ok(.init(body: .json(.init(intervalSeconds: Int(rates.interval.components.seconds), samples: rates.samples().map {
            .init(at: $0.at, packetsPerSecond: $0.packetsPerSecond, bytesPerSecond: $0.bytesPerSecond,
                  requestsPerSecond: $0.requestsPerSecond)
        }))))
    }

    func getOpenAPIDocument(_ input: Operations.GetOpenAPIDocument.Input) async throws -> Operations.GetOpenAPIDocument.Output {
        .ok(.init(body: .yaml(HTTPBody(APIDocument.yaml))))
    }

    func getMetrics(_ input: Operations.GetMetrics.Input) async throws -> Operations.GetMetrics.Output {
        .ok(.init(body: .plainText(HTTPBody(try await metrics.scrape(daemon)))))
    }

    func getStatusPage(_ input: Operations.GetStatusPage.Input) async throws -> Operations.GetStatusPage.Output {
        .ok(.init(body: .html(HTTPBody(StatusPage.html))))
    }

    static let notPinned = Components.Schemas.Problem(
        error: "the data plane's maps are not pinned: nothing has been applied yet (`usher apply -f FILE`)")

    func unknownService(_ name: String, _ view: OperatorView) -> Components.Schemas.Problem {
        .init(error: RealLookupError.unknownService(name, known: view.services.map(\.config.name)).description)
    }
}
