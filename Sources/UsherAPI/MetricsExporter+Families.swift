import UsherBPF
import UsherControl
import UsherCore
import UsherProxy

/// The families read at each scrape.
extension MetricsExporter {
    func writeDataplane(_ view: OperatorView, into text: inout PrometheusText) {
        guard let global = view.global else { return }
        let verdicts = StatsSnapshot.verdictCounterNames
        text.family("usher_dataplane_packets_total", .counter, "Packets the XDP program handled, by verdict reason.")
        for name in verdicts { text.sample("usher_dataplane_packets_total", ["reason": name], global[name]?.packets ?? 0) }
        text.family("usher_dataplane_bytes_total", .counter, "Bytes of those packets, by verdict reason.")
        for name in verdicts { text.sample("usher_dataplane_bytes_total", ["reason": name], global[name]?.bytes ?? 0) }
        text.family("usher_dataplane_flow_events_total", .counter,
                    "Flow-table events: ct_hit, ct_new, ct_rescheduled, nat_reply, nat_icmp, nat_reclaimed.")
        for name in StatsSnapshot.counterNames.dropFirst(verdicts.count) {
            text.sample("usher_dataplane_flow_events_total", ["event": name], global[name]?.packets ?? 0)
        }
    }

    func writeServices(_ view: OperatorView, into text: inout PrometheusText) {
        text.family("usher_service_state", .gauge, "1 for the state each service is in (up, degraded, down), 0 for the others.")
        for s in view.services {
            for state in ServiceState.allCases {
                text.sample("usher_service_state", ["service": s.config.name, "state": state.rawValue], s.state == state ? 1 : 0)
            }
        }
        let counted = view.services.compactMap { s in s.counters.map { (s.config, $0) } }
        guard !counted.isEmpty else { return }
        let families: [(String, String, (ServiceStats) -> UInt64)] = [
            ("usher_service_packets_total", "Packets to the service's VIP the data plane forwarded or dropped.", \.packets),
            ("usher_service_bytes_total", "Bytes of those packets.", \.bytes),
            ("usher_service_new_flows_total", "Flows whose first packet chose a real.", \.newFlows),
            ("usher_service_reply_packets_total", "nat/gateway replies translated back to clients.", \.replyPackets),
            ("usher_service_reply_bytes_total", "Bytes of those replies.", \.replyBytes),
        ]
        for (name, help, value) in families {
            text.family(name, .counter, help)
            for (config, stats) in counted {
                text.sample(name, ["service": config.name, "mode": config.mode.rawValue], value(stats))
            }
        }
        text.family("usher_service_dropped_packets_total", .counter,
                    "Packets dropped: no_real (no real could take the flow), nat_exhausted (no free SNAT port).")
        for (config, stats) in counted {
            text.sample("usher_service_dropped_packets_total", ["service": config.name, "reason": "no_real"], stats.noReal)
            text.sample("usher_service_dropped_packets_total", ["service": config.name, "reason": "nat_exhausted"], stats.natExhausted)
        }
    }

    func writeReals(_ view: OperatorView, into text: inout PrometheusText) {
        // Each real's label text once, for every family (100,000 reals make a million samples).
        let labels = view.services.map { s in
            s.reals.map { PrometheusText.labels(["service": s.config.name, "real": $0.address]) }
        }
        let states = RealView.states.map { Array(",state=\"\($0)\"".utf8) }
        text.family("usher_real_state", .gauge,
                    "1 for the state each real is in (up, down, draining, disabled, active = not checked), 0 for the others.")
        let stateName = Array("usher_real_state".utf8)
        for (i, s) in view.services.enumerated() {
            for (k, real) in s.reals.enumerated() {
                for (j, state) in RealView.states.enumerated() {
                    text.sample(stateName, labels: labels[i][k], extra: states[j], real.state == state ? 1 : 0)
                }
            }
        }
        text.family("usher_real_weight", .gauge, "The weight the config gives each real (0 = draining).")
        let weightName = Array("usher_real_weight".utf8)
        for (i, s) in view.services.enumerated() {
            for (k, real) in s.reals.enumerated() { text.sample(weightName, labels: labels[i][k], UInt64(real.weight)) }
        }
        text.family("usher_real_check_latency_seconds", .gauge, "How long the real's last health check took.")
        for s in view.services {
            for real in s.reals {
                guard let latency = real.lastLatencySeconds else { continue }
                text.sample("usher_real_check_latency_seconds", ["service": s.config.name, "real": real.address], latency)
            }
        }
        let families: [(String, String, (RealStats) -> UInt64)] = [
            ("usher_real_packets_total", "Packets the data plane sent to the real, per service.", \.packets),
            ("usher_real_bytes_total", "Bytes of those packets.", \.bytes),
            ("usher_real_new_flows_total", "New flows the real was chosen for, per service.", \.newFlows),
        ]
        for (name, help, value) in families {
            text.family(name, .counter, help)
            let bytes = Array(name.utf8)
            for (i, s) in view.services.enumerated() {
                for (k, real) in s.reals.enumerated() {
                    guard let stats = s.realCounters[real.address] else { continue }
                    text.sample(bytes, labels: labels[i][k], value(stats))
                }
            }
        }
    }

    func writeProxy(_ stats: ProxyStatistics, into text: inout PrometheusText) {
        guard !stats.services.isEmpty else { return }
        text.family("usher_proxy_requests_total", .counter, "Requests the L7 proxy answered, by service and status class.")
        for s in stats.services {
            let classes = [("1xx", s.responses.informational), ("2xx", s.responses.success), ("3xx", s.responses.redirection),
                           ("4xx", s.responses.clientError), ("5xx", s.responses.serverError)]
            for (code, count) in classes { text.sample("usher_proxy_requests_total", ["service": s.name, "code": code], count) }
        }
        let gauges: [(String, PrometheusText.Kind, String, (ProxyStatistics.Service) -> Int)] = [
            ("usher_proxy_connections", .gauge, "Client connections open now.", \.connections),
            ("usher_proxy_refused_connections_total", .counter, "Connections closed at accept: max-connections were open.", \.refusedConnections),
            ("usher_proxy_rejected_requests_total", .counter, "Requests refused before any real was asked (limits, malformed).", \.rejectedRequests),
            ("usher_proxy_timeouts_total", .counter, "Header and idle timeouts.", \.timeouts),
            ("usher_proxy_received_bytes_total", .counter, "Body bytes from clients.", \.bytesIn),
            ("usher_proxy_sent_bytes_total", .counter, "Body bytes to clients.", \.bytesOut),
            ("usher_proxy_tls_handshakes_total", .counter, "TLS handshakes completed (https services).", \.tlsHandshakes),
            ("usher_proxy_tls_handshake_failures_total", .counter,
             "Connections closed before their TLS handshake completed (https services).", \.tlsHandshakeFailures),
        ]
        for (name, kind, help, value) in gauges {
            text.family(name, kind, help)
            for s in stats.services { text.sample(name, ["service": s.name], value(s)) }
        }
        text.family("usher_proxy_request_duration_seconds", .histogram,
                    "Each request's whole duration through the proxy (head received to last byte sent), by service.")
        for s in stats.services {
            if let latency = s.latency { text.histogram("usher_proxy_request_duration_seconds", ["service": s.name], latency) }
        }
        text.family("usher_proxy_pool_request_duration_seconds", .histogram,
                    "The same, by the pool that served the request.")
        for s in stats.services {
            for pool in s.pools {
                guard let latency = pool.latency else { continue }
                text.histogram("usher_proxy_pool_request_duration_seconds", ["service": s.name, "pool": pool.name], latency)
            }
        }
        let members: [(String, PrometheusText.Kind, String, (ProxyStatistics.Member) -> Int)] = [
            ("usher_proxy_member_requests_total", .counter, "Requests sent to each pool member.", \.requests),
            ("usher_proxy_member_active_requests", .gauge, "Exchanges each pool member serves now.", \.activeRequests),
            ("usher_proxy_member_connections", .gauge, "Connections open to each pool member (in use and idle).", \.openConnections),
            ("usher_proxy_member_connect_errors_total", .counter, "Connections to each member that could not be opened.", \.connectErrors),
            ("usher_proxy_member_up", .gauge, "1 when the member takes requests (health up, not draining).", { $0.health == "up" ? 1 : 0 }),
        ]
        for (name, kind, help, value) in members {
            text.family(name, kind, help)
            for s in stats.services {
                for pool in s.pools {
                    for m in pool.members {
                        text.sample(name, ["service": s.name, "pool": pool.name, "member": m.address], value(m))
                    }
                }
            }
        }
    }
}
