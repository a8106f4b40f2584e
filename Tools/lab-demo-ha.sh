# The pair's part of the demo (Tools/demo --ha; sourced, with name, lab_dir and banner set):
# two balancers share the VIPs over VRRP; long-lived connections carry a packet every 10 ms
# while the active one dies and comes back; the client's view is printed at the end.
# shellcheck shell=bash

pair_status() {
  local host
  for host in lb lb2; do
    local pins=/sys/fs/bpf/usher-$name state=$lab_dir/state
    [[ $host == lb2 ]] && { pins+=-lb2; state+=-lb2; }
    printf '  %-4s ' "$host"
    # A dead balancer's daemon.json still names its last role: say it is dead instead.
    [[ -z $(ip netns pids "$name-$host") ]] && { echo "dead: nothing of it runs"; continue; }
    Tools/lab exec "$name" "$host" "$USHER_BIN" --pin-dir "$pins" --state-dir "$state" status 2>/dev/null |
      grep "HA role" || echo "(no daemon)"
  done
}

# Waits (at most 10 s) until HOST's daemon.json says ROLE.
pair_wait() {
  local state=$lab_dir/state
  [[ $1 == lb2 ]] && state+=-lb2
  for _ in $(seq 200); do
    /usr/bin/python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])).get("ha", {}).get("role") != sys.argv[2])' \
      "$state/daemon.json" "$2" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "  $1 did not become $2 within 10 s" >&2
  return 1
}

demo_ha() {
  local status=0
  banner "building lab $name with two balancers, lb and lb2, each running usher daemon with ha:"
  Tools/lab up "$name" --ha
  sed -n '/^ha:/,/^services:/p' "$lab_dir/usher.yaml" | sed '$d'
  pair_status

  banner "long-lived connections through web-l2, web-ipip (TCP, v4 and v6) and udp-l2: a packet every 10 ms"
  Tools/lab exec "$name" client /usr/bin/python3 Tools/lab-probe.py --seconds 14 \
    --tcp web-l2=203.0.113.10:80 --tcp web-ipip=203.0.113.11:80 --tcp web-l2-v6=[2001:db8:100::10]:80 \
    --tcp web-ipip-v6=[2001:db8:100::11]:80 --udp udp-l2=203.0.113.10:9000 >"$lab_dir/probe.out" &
  local probe=$!
  sleep 3
  head -n 1 "$lab_dir/probe.out"

  banner "lb dies: every process of it (the daemon, keepalived) frozen, its link down, then killed"
  Tools/lab kill "$name" lb
  pair_wait lb2 master || status=1
  pair_status

  sleep 4
  banner "lb comes back: link up, usher daemon started again; it stays the backup (no preemption)"
  Tools/lab revive "$name" lb
  pair_wait lb backup || status=1
  pair_status

  banner "what the client saw on each connection"
  wait "$probe" || status=1
  tail -n 1 "$lab_dir/probe.out" | /usr/bin/python3 -c 'import json, sys
report = json.load(sys.stdin)
for p in report["probes"]:
    print("  %-12s %s via %-6s %5d of %5d echoed, longest gap %6.1f ms at %5.2f s%s" % (
        p["name"], p["kind"], p["real"], p["received"], p["sent"], p["max_gap_ms"], p["gap_at"] or 0,
        ", broken: " + p["error"] if p["error"] else ""))
sys.exit(0 if all(p["error"] is None and p["received"] == p["sent"] for p in report["probes"] if p["kind"] == "tcp") else 1)' ||
    status=1
  echo "Every TCP connection above is the one opened before lb died; the gap is the failover as the client felt it."
  echo "The pair under systemd: Docs/DEPLOYMENT.md."
  return $status
}
