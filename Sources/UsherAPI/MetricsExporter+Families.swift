import UsherBPF
import UsherControl
import UsherCore
import UsherProxy

/// The families read at each scrape.
extension MetricsExporter {
    func writeDataplane(_ global: [String: CounterValue], into text: inout PrometheusText) {
        let verdicts = StatsSnapshot.verdictCounterNames
        text.family("usher_dataplane_packets_total", .counter, "Packets the XDP program handled, by verdict reason.")
        for name in verdicts { text.sample("usher_dataplane_packets_total", ["reason": name], global[name]?.packets ?? 0) }
        text.family("usher_dataplane_bytes_total", .counter, "Bytes of those packets, by verdict reason.")
        for name in verdicts { text.sample("usher_dataplane_bytes_total", ["reason": name], global[name]?.bytes ?? 0) }
        text.family("usher_dataplane_flow_events_total", .counter,
                    "Flow-table events: ct_hit, ct_new, ct_rescheduled, nat_reply, nat_icmp, nat_reclaimed, ct_confirmed.")
        for name in StatsSnapshot.counterNames.dropFirst(verdicts.count) {
            text.sample("usher_dataplane_flow_events_total", ["event": name], global[name]?.packets ?? 0)
        }
    }

    /// `states` and `counters` (nil: the data plane not read) by the services' positions.
    func writeServices(_ services: [VirtualService], states: [ServiceState], counters: [ServiceStats?]?,
                       into text: inout PrometheusText) {
        text.family("usher_service_state", .gauge, "1 for the state each service is in (up, degraded, down), 0 for the others.")
        for (s, current) in zip(services, states) {
            for state in ServiceState.allCases {
                text.sample("usher_service_state", ["service": s.name, "state": state.rawValue], current == state ? 1 : 0)
            }
        }
        let counted = zip(services, counters ?? []).compactMap { s, stats in stats.map { (s, $0) } }
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
