# The network of a lab (sourced by Tools/lab, which defines name, in_ns, ipn, sysctl_ns, say).
# Addresses and MACs are the plan of Tools/lab-config.py (which writes them into facts.json).
# shellcheck shell=bash

server_mtu=1600 # room for an IP-in-IP header on the server segment; the client side stays 1500
far_mtu=1280    # router2 ↔ real4: path MTU discovery through the balancer

# MAC addresses: 02:00:00:SS:HH:HH, SS = segment (1 client side, 2 server side, 3 bridge ports,
# 4 far side behind router2).
mac_client=02:00:00:01:00:10 mac_router_cl=02:00:00:01:00:01
mac_br=02:00:00:02:00:01 mac_lb=02:00:00:02:00:02 mac_lb_port=02:00:00:03:00:02
mac_rt2=02:00:00:02:00:04 mac_rt2_port=02:00:00:03:00:04 mac_rt2_far=02:00:00:04:00:01
mac_lb2=02:00:00:02:00:05 mac_lb2_port=02:00:00:03:00:05 # the second balancer of a pair (--ha)
mac_real4=02:00:00:04:00:14
real_mac() { echo "02:00:00:02:00:1$1"; }
real_port_mac() { echo "02:00:00:03:00:1$1"; }

# A veth pair from HOST_A (name A, MAC) to HOST_B (name B, MAC), created directly in the two
# namespaces (never in the machine's own), checksum offload off on both ends.
veth() {
  local ha=$1 a=$2 maca=$3 hb=$4 b=$5 macb=$6 mtu=$7
  ipn "$ha" link add "$a" address "$maca" mtu "$mtu" type veth \
    peer name "$b" address "$macb" mtu "$mtu" netns "$name-$hb"
  in_ns "$ha" ethtool -K "$a" tx off >/dev/null
  in_ns "$hb" ethtool -K "$b" tx off >/dev/null
  ipn "$ha" link set "$a" up
  ipn "$hb" link set "$b" up
}

build_namespaces() {
  local host
  for host in "${hosts[@]}"; do
    timeout 10 ip netns add "$name-$host"
    ipn "$host" link set lo up
    # No router advertisements, no duplicate address detection (addresses usable at once).
    sysctl_ns "$host" net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
      net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
      net.ipv6.conf.default.dad_transmits=0 \
      net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  done
  say "namespaces ${hosts[*]/#/$name-}"
}

build_client() {
  veth router cl0 $mac_router_cl client eth0 $mac_client 1500
  ipn client addr add 192.0.2.10/24 dev eth0
  ipn client -6 addr add 2001:db8:1::10/64 dev eth0 nodad
  ipn client route add default via 192.0.2.1
  ipn client -6 route add default via 2001:db8:1::1
  say "client: eth0 $mac_client 192.0.2.10/24 2001:db8:1::10/64, default via the router"
}

build_router() {
  sysctl_ns router net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ipn router addr add 192.0.2.1/24 dev cl0
  ipn router -6 addr add 2001:db8:1::1/64 dev cl0 nodad
  ipn router link add br0 address $mac_br mtu $server_mtu type bridge stp_state 0 mcast_snooping 0
  ipn router link set br0 up
  ipn router addr add 198.51.100.1/25 dev br0
  ipn router -6 addr add 2001:db8:2::1/64 dev br0 nodad
  say "router: cl0 $mac_router_cl 192.0.2.1/24 2001:db8:1::1/64; br0 $mac_br 198.51.100.1/25 2001:db8:2::1/64; forwarding on"
}

# The balancer: one arm on the server segment. It holds the SNAT addresses (the reals answer nat
# flows to them), the L7 VIP on loopback (where the proxy listens), and it is the gateway of the
# reals' own traffic (gateway-mode replies; the kernel forwards whatever XDP passes).
# With --ha (pair=1) it is one of a pair (lb, lb2): keepalived gives the active one every VIP, the
# SNAT addresses and the reals' gateway 198.51.100.6 on eth0, so none of them is set here; the
# proxy binds the L7 VIP before it holds it (ip_nonlocal_bind); the router reaches the VIPs
# on-link (it ARPs for each, and the active balancer answers).
build_lb() {
  build_balancer lb lb0 $mac_lb $mac_lb_port 2
  if [[ $pair == 0 ]]; then
    ipn lb addr add 198.51.100.3/25 dev eth0 # SNAT (a secondary address: never the lb's own source)
    ipn lb -6 addr add 2001:db8:2::3/64 dev eth0 nodad preferred_lft 0 # SNAT; deprecated: not a source
    ipn lb addr add 203.0.113.14/32 dev lo
    ipn lb -6 addr add 2001:db8:100::14/128 dev lo nodad
    # The upstream router sends the VIP range to the balancer, as a BGP/static announcement would.
    ipn router route add 203.0.113.0/24 via 198.51.100.2
    ipn router -6 route add 2001:db8:100::/64 via 2001:db8:2::2
    say "lb: eth0 $mac_lb 198.51.100.2/25 2001:db8:2::2/64, SNAT 198.51.100.3 2001:db8:2::3 (bridge port lb0);" \
      "L7 VIP 203.0.113.14 2001:db8:100::14 on lo; forwarding on; router routes 203.0.113.0/24, 2001:db8:100::/64 via it"
  else
    build_balancer lb2 lb2p $mac_lb2 $mac_lb2_port 5
    ipn router route add 203.0.113.0/24 dev br0
    ipn router -6 route add 2001:db8:100::/64 dev br0
    # A NIC's MAC filter: a balancer gets no frame addressed to the other's MAC (the bridge
    # floods unknown unicast once a port's entries go; a veth would hand them to its XDP program).
    timeout 10 bridge -n "$name-router" link set dev lb0 flood off
    timeout 10 bridge -n "$name-router" link set dev lb2p flood off
    say "lb: eth0 $mac_lb 198.51.100.2/25 2001:db8:2::2/64 (bridge port lb0); lb2: eth0 $mac_lb2 198.51.100.5/25" \
      "2001:db8:2::5/64 (bridge port lb2p); VIPs, SNAT and the reals' gateway 198.51.100.6 2001:db8:2::6 follow the" \
      "active one (keepalived); router reaches 203.0.113.0/24, 2001:db8:100::/64 on-link"
  fi
}

# What every balancer of the lab has: its port on the bridge, its address .N, forwarding, routes.
build_balancer() {
  local host=$1 port=$2 mac=$3 port_mac=$4 n=$5
  veth router "$port" "$port_mac" "$host" eth0 "$mac" $server_mtu
  ipn router link set "$port" master br0
  sysctl_ns "$host" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
    net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0
  if [[ $pair == 1 ]]; then sysctl_ns "$host" net.ipv4.ip_nonlocal_bind=1 net.ipv6.ip_nonlocal_bind=1; fi
  ipn "$host" addr add "198.51.100.$n/25" dev eth0
  ipn "$host" -6 addr add "2001:db8:2::$n/64" dev eth0 nodad
  ipn "$host" route add default via 198.51.100.1
  ipn "$host" -6 route add default via 2001:db8:2::1
  ipn "$host" route add 198.51.100.128/25 via 198.51.100.4
  ipn "$host" -6 route add 2001:db8:3::/64 via 2001:db8:2::4
  # A VIP the XDP program does not take (no service, or no program yet) is refused here rather
  # than forwarded back to the router, which would send it straight back.
  ipn "$host" route add unreachable 203.0.113.0/24
  ipn "$host" -6 route add unreachable 2001:db8:100::/64
}

# A real server on the bridge. VIPs on loopback for DSR; its own address's traffic (gateway
# replies) leaves through the balancer by policy routing, while DSR replies (source = a VIP)
# go straight to the router.
build_real() {
  local real=$1 i=${1#real} vip
  veth router "r$i" "$(real_port_mac "$i")" "$real" eth0 "$(real_mac "$i")" $server_mtu
  ipn router link set "r$i" master br0
  # The VIPs live on loopback: accepted locally, never announced (no ARP, no ND).
  sysctl_ns "$real" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
    net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2 \
    net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.lo.rp_filter=0 \
    net.ipv4.conf.all.accept_redirects=0 net.ipv4.conf.eth0.accept_redirects=0 \
    net.ipv6.conf.all.accept_redirects=0 net.ipv6.conf.eth0.accept_redirects=0
  ipn "$real" addr add "198.51.100.1$i/25" dev eth0
  ipn "$real" -6 addr add "2001:db8:2::1$i/64" dev eth0 nodad
  for vip in "${vips4[@]}"; do ipn "$real" addr add "$vip/32" dev lo; done
  for vip in "${vips6[@]}"; do ipn "$real" -6 addr add "$vip/128" dev lo nodad; done
  ipn "$real" route add default via 198.51.100.1
  ipn "$real" -6 route add default via 2001:db8:2::1
  # Alone, the balancer is the gateway; in a pair (--ha), the address that follows the active one.
  local gw=2; [[ $pair == 1 ]] && gw=6
  ipn "$real" rule add from "198.51.100.1$i" lookup 100
  ipn "$real" route add 198.51.100.0/25 dev eth0 table 100
  ipn "$real" route add default via "198.51.100.$gw" table 100
  ipn "$real" -6 rule add from "2001:db8:2::1$i" lookup 100
  ipn "$real" -6 route add 2001:db8:2::/64 dev eth0 table 100
  ipn "$real" -6 route add default via "2001:db8:2::$gw" table 100
  say "$real: eth0 $(real_mac "$i") 198.51.100.1$i/25 2001:db8:2::1$i/64 (bridge port r$i); VIPs ${vips4[*]} ${vips6[*]} on lo;" \
    "from its own addresses: default via the lb (table 100)"
}

# router2 and real4: a real server one routed hop away, behind a link of MTU 1280 (a tunnel, a
# WAN). real4 advertises the MSS of a 1500-byte path (advmss), as a server on a 1500-byte LAN
# behind such a link would: a client's full-size segments reach router2, which answers with
# "fragmentation needed" / "packet too big" to their source, the balancer's SNAT address.
build_far_side() {
  veth router rt2 $mac_rt2_port router2 eth0 $mac_rt2 $server_mtu
  ipn router link set rt2 master br0
  sysctl_ns router2 net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ipn router2 addr add 198.51.100.4/25 dev eth0
  ipn router2 -6 addr add 2001:db8:2::4/64 dev eth0 nodad
  ipn router2 route add default via 198.51.100.1
  ipn router2 -6 route add default via 2001:db8:2::1
  veth router2 r4 $mac_rt2_far real4 eth0 $mac_real4 $far_mtu
  ipn router2 addr add 198.51.100.129/25 dev r4
  ipn router2 -6 addr add 2001:db8:3::1/64 dev r4 nodad
  ipn router route add 198.51.100.128/25 via 198.51.100.4
  ipn router -6 route add 2001:db8:3::/64 via 2001:db8:2::4
  ipn real4 addr add 198.51.100.140/25 dev eth0
  ipn real4 -6 addr add 2001:db8:3::14/64 dev eth0 nodad
  ipn real4 route add default via 198.51.100.129 advmss 1460
  ipn real4 -6 route add default via 2001:db8:3::1 advmss 1440
  say "router2: eth0 $mac_rt2 198.51.100.4/25 2001:db8:2::4/64 (bridge port rt2); r4 $mac_rt2_far MTU $far_mtu" \
    "198.51.100.129/25 2001:db8:3::1/64"
  say "real4: eth0 $mac_real4 MTU $far_mtu 198.51.100.140/25 2001:db8:3::14/64, default via router2 (advmss 1460/1440)"
}
