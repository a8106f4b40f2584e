import Foundation
import OpenAPIRuntime
import UsherControl
import UsherCore
import UsherDaemon

/// The writes: one real's drain, enable, disable or weight, and a reload.
extension APIHandler {
    func drainReal(_ input: Operations.DrainReal.Input) async throws -> Operations.DrainReal.Output {
        try await change(input.path.service, input.path.address, .drain)
    }

    func enableReal(_ input: Operations.EnableReal.Input) async throws -> Operations.EnableReal.Output {
        try await change(input.path.service, input.path.address, .enable)
    }

    func disableReal(_ input: Operations.DisableReal.Input) async throws -> Operations.DisableReal.Output {
        try await change(input.path.service, input.path.address, .disable)
    }

    func setRealWeight(_ input: Operations.SetRealWeight.Input) async throws -> Operations.SetRealWeight.Output {
        guard case let .json(body) = input.body else {
            return .badRequest(.init(body: .json(.init(error: "send {\"weight\": N} as application/json"))))
        }
        guard (0...1000).contains(body.weight) else {
            return .badRequest(.init(body: .json(.init(
                error: "weight \(body.weight) is out of range: 0-1000 (0 drains the real; 1000 is the largest share)"))))
        }
        let outcome: RealChangeOutcome = await change(input.path.service, input.path.address, .weight(UInt32(body.weight)))
        switch outcome {
        case .changed(let real): return .ok(.init(body: .json(real)))
        case .badRequest(let problem): return .badRequest(.init(body: .json(problem)))
        case .notFound(let problem): return .notFound(.init(body: .json(problem)))
        case .conflict(let problem): return .conflict(.init(body: .json(problem)))
        }
    }

    func reload(_ input: Operations.Reload.Input) async throws -> Operations.Reload.Output {
        logger.notice("reload asked over the API", metadata: ["by": "\(APIClient.current)"])
        let outcome = await daemon.reload()
        return outcome.ok ? .ok(.init(body: .json(outcome.schema))) : .unprocessableContent(.init(body: .json(outcome.schema)))
    }

    /// The three operations without a body share one output shape.
    private func change<Output: RealChangeOutput>(_ service: String, _ address: String, _ change: RealChange) async throws -> Output {
        switch await self.change(service, address, change) as RealChangeOutcome {
        case .changed(let real): return .changed(real)
        case .badRequest(let problem): return .badRequest(problem)
        case .notFound(let problem): return .notFound(problem)
        case .conflict(let problem): return .conflict(problem)
        }
    }

    private func change(_ service: String, _ address: String, _ change: RealChange) async -> RealChangeOutcome {
        // Not an address: it names no real (the path, not the request, is wrong).
        guard let ip = IPAddress(address) else {
            return .notFound(.init(error: "\(address) is not an IPv4 or IPv6 address, so no real of \(service); "
                + "name the real by its address, e.g. 198.51.100.11 or 2001:db8:2::11"))
        }
        do {
            let real = try await daemon.change(real: ip, of: service, change, by: APIClient.current.description)
            return .changed(real.schema())
        } catch let error as RealLookupError {
            return .notFound(.init(error: error.description))
        } catch let errors as ConfigErrors {
            return .conflict(.init(error: "nothing changed: " + errors.errors.map(\.description).joined(separator: "; ")))
        } catch {
            return .conflict(.init(error: "nothing changed: \(error)"))
        }
    }
}

enum RealChangeOutcome {
    case changed(Components.Schemas.Real)
    case badRequest(Components.Schemas.Problem)
    case notFound(Components.Schemas.Problem)
    case conflict(Components.Schemas.Problem)
}

/// drain, enable and disable answer alike.
protocol RealChangeOutput {
    static func changed(_ real: Components.Schemas.Real) -> Self
    static func badRequest(_ problem: Components.Schemas.Problem) -> Self
    static func notFound(_ problem: Components.Schemas.Problem) -> Self
    static func conflict(_ problem: Components.Schemas.Problem) -> Self
}

extension Operations.DrainReal.Output: RealChangeOutput {
    static func changed(_ real: Components.Schemas.Real) -> Self { .ok(.init(body: .json(real))) }
    static func badRequest(_ problem: Components.Schemas.Problem) -> Self { .badRequest(.init(body: .json(problem))) }
    static func notFound(_ problem: Components.Schemas.Problem) -> Self { .notFound(.init(body: .json(problem))) }
    static func conflict(_ problem: Components.Schemas.Problem) -> Self { .conflict(.init(body: .json(problem))) }
}

extension Operations.EnableReal.Output: RealChangeOutput {
    static func changed(_ real: Components.Schemas.Real) -> Self { .ok(.init(body: .json(real))) }
    static func badRequest(_ problem: Components.Schemas.Problem) -> Self { .badRequest(.init(body: .json(problem))) }
    static func notFound(_ problem: Components.Schemas.Problem) -> Self { .notFound(.init(body: .json(problem))) }
    static func conflict(_ problem: Components.Schemas.Problem) -> Self { .conflict(.init(body: .json(problem))) }
}

extension Operations.DisableReal.Output: RealChangeOutput {
    static func changed(_ real: Components.Schemas.Real) -> Self { .ok(.init(body: .json(real))) }
    static func badRequest(_ problem: Components.Schemas.Problem) -> Self { .badRequest(.init(body: .json(problem))) }
    static func notFound(_ problem: Components.Schemas.Problem) -> Self { .notFound(.init(body: .json(problem))) }
    static func conflict(_ problem: Components.Schemas.Problem) -> Self { .conflict(.init(body: .json(problem))) }
}
