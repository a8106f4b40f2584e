import Logging
import NIOCore
import NIOExtras
import NIOPosix
import Synchronization
import UsherCore
import UsherHealth

/// The L7 proxy: one listener per `http`/`https` virtual service on its VIP and port, serving
/// HTTP/1.1 (and HTTP/2 over TLS) clients from real servers in the service's pools.
///
/// Run it on a `MultiThreadedEventLoopGroup` with one thread per core: each client connection
/// lives on one loop, and so do its connections to real servers; nothing on the request path
/// takes a lock.
///
///     let proxy = ProxyServer(services: config.services, group: group, logger: logger)
///     let addresses = try await proxy.start()
///     ...
///     try await proxy.reload(services: newConfig.services)  // new connections get the new settings
///     try await proxy.stop()
public final class ProxyServer: Sendable {
    /// How long `stop()` lets requests in progress finish.
    public static let stopGracePeriod = TimeAmount.seconds(10)

    let group: MultiThreadedEventLoopGroup
    let logger: Logger
    let loops: LoopTable
    let state: Mutex<State>
    /// Checks the pool members (its targets have `pool` set); shared with the daemon's L4 checks,
    /// or the proxy's own.
    let health: HealthEngine
    /// Whether `health` was made by this proxy (then `stop` stops it).
    let ownsHealth: Bool

    struct Listener: Sendable {
        let channel: Channel
        let key: ServiceKey
        let address: SocketAddress
    }

    /// Lifecycle state, touched by start/reload/stop only (never per request).
    struct State: Sendable {
        enum Phase: Sendable { case created, running, stopped }
        var phase = Phase.created
        var services: [VirtualService]
        var listeners: [String: Listener] = [:]
        var compiled = CompiledServices()
        var quiesce: ServerQuiescingHelper?
    }

    /// `health`: the engine to register the pool members with (the daemon's, shared with its L4
    /// checks); nil makes one of the proxy's own on `group`.
    public init(services: [VirtualService], group: MultiThreadedEventLoopGroup, logger: Logger,
                tuning: ProxyTuning = ProxyTuning(), health: HealthEngine? = nil) {
        self.group = group
        self.logger = logger
        self.health = health ?? HealthEngine(group: group, logger: logger)
        self.ownsHealth = health == nil
        self.loops = LoopTable(group: group, tuning: tuning)
        self.state = Mutex(State(services: services.filter { $0.mode == .http || $0.mode == .https }))
    }

    /// Checks every service (pools, rules, regexes, certificates, log files), then listens on
    /// each service's VIP and port. Returns the bound addresses in the order of the services
    /// (port 0 becomes the port the system chose). Nothing is left listening if it throws.
    public func start() async throws -> [SocketAddress] {
        let services: [VirtualService] = try state.withLock {
            guard $0.phase == .created else { throw ProxyConfigurationError.notRunning }
            $0.phase = .running
            return $0.services
        }
        do {
            let compiled = try CompiledServices(services, previous: nil, health: health, logger: logger)
            await install(compiled.runtimes)
            let quiesce = ServerQuiescingHelper(group: group)
            var listeners: [String: Listener] = [:]
            do {
                for service in services {
                    listeners[service.name] = try await listen(service, quiesce: quiesce)
                }
            } catch {
                for l in listeners.values { try? await l.channel.close() }
                await compiled.shutdown()
                throw error
            }
            compiled.startHealthChecks(on: health)
            state.withLock {
                $0.listeners = listeners
                $0.compiled = compiled
                $0.quiesce = quiesce
            }
            return services.compactMap { listeners[$0.name]?.address }
        } catch {
            state.withLock { $0.phase = .stopped }
            throw error
        }
    }

    /// Applies new service settings without dropping connections: services whose VIP and port
    /// stay keep their listener and their open connections (which finish with the settings they
    /// started with); new connections get the new settings, certificates are read again;
    /// services gone stop listening; new ones start. Throws, changing nothing, if any
    /// service is invalid. If a new listener cannot be bound (address in use), everything
    /// else is applied and that error is thrown. Members whose check is unchanged keep their
    /// health state; new ones start up.
    public func reload(services newServices: [VirtualService]) async throws {
        let services = newServices.filter { $0.mode == .http || $0.mode == .https }
        let (previous, listeners, quiesce): (CompiledServices, [String: Listener], ServerQuiescingHelper?) = try state.withLock {
            guard $0.phase == .running else { throw ProxyConfigurationError.notRunning }
            return ($0.compiled, $0.listeners, $0.quiesce)
        }
        guard let quiesce else { throw ProxyConfigurationError.notRunning }
        let compiled = try CompiledServices(services, previous: previous, health: health, logger: logger)
        var kept: [String: Listener] = [:]
        var toClose: [Listener] = []
        for (name, listener) in listeners {
            if let s = services.first(where: { $0.name == name }), s.key == listener.key {
                kept[name] = listener
            } else {
                toClose.append(listener)
            }
        }
        for l in toClose { try? await l.channel.close() }
        await install(compiled.runtimes)
        var opened: [String: Listener] = [:]
        for service in services where kept[service.name] == nil {
            do {
                opened[service.name] = try await listen(service, quiesce: quiesce)
            } catch {
                logger.error("reload: service not listening", metadata: ["service": "\(service.name)", "error": "\(error)"])
                state.withLock {
                    $0.listeners = kept.merging(opened) { a, _ in a }
                    $0.compiled = compiled
                    $0.services = services
                }
                compiled.startHealthChecks(on: health)
                await previous.retire()
                throw error
            }
        }
        compiled.startHealthChecks(on: health)
        state.withLock {
            $0.listeners = kept.merging(opened) { a, _ in a }
            $0.compiled = compiled
            $0.services = services
        }
        await previous.retire()
        logger.info("proxy configuration reloaded", metadata: ["services": "\(services.count)"])
    }

    /// Stops listening, lets requests in progress finish (up to `stopGracePeriod`), then
    /// closes idle connections to real servers, stops health checks and flushes access logs.
    public func stop() async throws {
        let (listeners, quiesce, compiled): ([String: Listener], ServerQuiescingHelper?, CompiledServices) = state.withLock {
            let result = ($0.listeners, $0.quiesce, $0.compiled)
            $0.phase = .stopped
            $0.listeners = [:]
            $0.quiesce = nil
            $0.compiled = CompiledServices()
            return result
        }
        if let quiesce, !listeners.isEmpty { // with nothing listening there is nothing to wait for
            let promise = group.next().makePromise(of: Void.self)
            quiesce.initiateShutdown(promise: promise)
            let deadline = group.next().scheduleTask(in: ProxyServer.stopGracePeriod) { promise.succeed(()) }
            _ = try? await promise.futureResult.get()
            deadline.cancel()
        }
        for l in listeners.values { try? await l.channel.close() }
        await loops.forEach { context in
            context.upstreams.closeAll()
            context.install([:])
            return context.flushLogs()
        }
        if ownsHealth {
            await health.stop()
        } else {
            health.update([:], scope: PoolHealthChecks.scope)
        }
        await compiled.shutdown()
    }

    /// Reads every https service's certificates and keys again (after an operator replaced
    /// the files): new handshakes use them, open connections are not touched. A service whose
    /// files cannot be used keeps its old certificates; the first such error is thrown once
    /// every service has been tried.
    public func reloadCertificates() throws {
        let stores = state.withLock { $0.compiled.runtimes.values.compactMap(\.certificates) }
        var firstError: Error?
        for store in stores {
            do { try store.reload() } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
    }

    /// Where each running service listens, by service name (port 0 resolved).
    public var listeningAddresses: [String: SocketAddress] {
        state.withLock { $0.listeners.mapValues(\.address) }
    }

    /// Makes `runtimes` the services new connections get, on every loop.
    func install(_ runtimes: [String: ServiceRuntime]) async {
        await loops.forEach { context in
            context.install(runtimes)
            return context.loop.makeSucceededVoidFuture()
        }
    }
}

extension ProxyServer {
    /// The counters of a running service (tests, and the statistics command to come).
    func counters(service name: String) -> ServiceCounters? {
        state.withLock { $0.compiled.runtimes[name]?.counters }
    }
}
