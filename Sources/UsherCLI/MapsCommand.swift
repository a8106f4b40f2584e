import ArgumentParser
import Foundation
import UsherBPF
import UsherControl

/// `usher maps dump`: the pinned maps as the XDP program sees them.
struct MapsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maps",
        abstract: "Inspect the pinned BPF maps.",
        subcommands: [Dump.self]
    )

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the VIPs, reals, Maglev shares, tracked flows, SNAT pools, NAT flows and globals read back from the maps.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors {
                let dump = try global.controller().dataplane(create: false).dump()
                if output.json {
                    try printJSON(dump)
                } else {
                    print(render(dump))
                }
            }
        }

        private func render(_ dump: MapsDump) -> String {
            var out = ["Maps pinned in \(dump.pinDirectory)", ""]
            var vips = TextTable(["ID", "SERVICE", "MODE", "FLAGS", "TABLE", "EMPTY", "SHARES"], numeric: [0, 4, 5])
            for v in dump.vips {
                let shares = v.maglev?.shares.map { share in
                    "\(share.address?.description ?? "#\(share.realID)") \(String(format: "%.1f%%", share.fraction * 100))"
                }.joined(separator: ", ") ?? "(no table)"
                vips.add([String(v.id), v.service, v.mode, v.flags.joined(separator: ","),
                          v.maglev.map { String($0.size) } ?? "-", v.maglev.map { String($0.emptySlots) } ?? "-", shares])
            }
            out.append("usher_vips_v2 + usher_maglev_v2:")
            out.append(dump.vips.isEmpty ? "  (empty)" : vips.render())
            out.append("")

            var reals = TextTable(["ID", "ADDRESS", "DST MAC", "SRC MAC", "IFINDEX"], numeric: [0, 4])
            for r in dump.reals {
                reals.add([String(r.id), r.address?.description ?? "?", r.dstMAC?.description ?? "-",
                           r.srcMAC.flatMap { $0.isZero ? nil : $0.description } ?? "-", r.ifindex == 0 ? "0 (XDP_TX)" : String(r.ifindex)])
            }
            out.append("usher_reals_v3:")
            out.append(dump.reals.isEmpty ? "  (empty)" : reals.render())
            out.append("")

            var flows = TextTable(["CLIENT", "VIP", "PROTO", "REAL", "SERVICE", "IDLE"], numeric: [3, 4, 5])
            for f in dump.conntrack.flows {
                flows.add([f.client, f.vip, f.proto, String(f.realID), String(f.serviceID), String(format: "%.0fs", f.idleSeconds)])
            }
            let more = dump.conntrack.truncated ? " (first \(dump.conntrack.limit) shown)" : ""
            out.append("usher_ct_v3\(more):")
            out.append(dump.conntrack.flows.isEmpty ? "  (empty)" : flows.render())
            out.append("")
            out += renderNAT(dump)
            out.append("usher_global_v2: ipip source v4 \(dump.global.encapSourceV4 ?? "(unset)"), v6 \(dump.global.encapSourceV6 ?? "(unset)")")
            let g = dump.global
            let natOn = g.flags & 1 != 0 ? "on" : "off"
            out.append("usher_global_v2: nat \(natOn), \(g.nrCPUs) CPUs, timeouts tcp idle \(g.natTCPIdleSeconds)s, "
                + "tcp closed \(g.natTCPClosedSeconds)s, udp idle \(g.natUDPIdleSeconds)s")
            return out.joined(separator: "\n")
        }

        /// SNAT pools, the address filter and the nat/gateway flows, each followed by a blank line.
        private func renderNAT(_ dump: MapsDump) -> [String] {
            var out: [String] = []
            var pools = TextTable(["ID", "ADDRESS", "PORTS", "IN USE"], numeric: [0, 3])
            for pool in dump.snatPools {
                for (i, address) in pool.addresses.enumerated() {
                    pools.add([i == 0 ? String(pool.id) : "", address.description, i == 0 ? pool.ports : "",
                               String(pool.portsInUse.indices.contains(i) ? pool.portsInUse[i] : 0)])
                }
            }
            out.append("usher_snat_v1:")
            out.append(dump.snatPools.isEmpty ? "  (empty)" : pools.render())
            out.append("")

            let f = dump.addressFilter
            out.append("usher_addrs_v1: \(f.slotsInUse) slots in use: vip-port \(f.vipPort), vip-all \(f.vipAll), "
                + "snat \(f.snat), gateway-real \(f.gatewayReal)")
            out.append("")

            var flows = TextTable(["CLIENT", "VIP", "PROTO", "SNAT", "REAL", "SERVICE", "STATE", "IDLE"], numeric: [5, 7])
            for flow in dump.nat.flows {
                flows.add([flow.client, flow.vip, flow.proto, flow.snat, flow.real, String(flow.serviceID), flow.state,
                           "\(flow.idleSeconds)s"])
            }
            let more = dump.nat.truncated ? " (first \(dump.nat.limit) shown)" : ""
            out.append("usher_nat_v2 + usher_natrev_v2\(more):")
            out.append(dump.nat.flows.isEmpty ? "  (empty)" : flows.render())
            out.append("")
            return out
        }
    }
}
