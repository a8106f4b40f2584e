"""A tracked dsr flow's packet is classified by the service its entry names (usher_svcs_v1,
looked up by id) before the VIP's hash lookup: the established-first path of usher_balance.
It must give what the VIP lookup gives, whatever became of the service since the flow began:

- its id given to a service on another port of the same VIP: the old flow's packets are not
  taken over by the new service (the port has no service: passed as not for a VIP);
- an exact-port service added beside the every-port service the flow was on: the flow is the
  new service's, rescheduled onto its real as the VIP lookup would have it.

Service ids are read from `usher maps dump --json`; outputs are built from the specification.
"""

import packets as P
import checks
from test_flows import A, B, VIP, client_flow, establish, send, to, weighted
import scenarios as S

TABLE = 251


def config(*services):
    return {"encapsulation": S.ENCAP_HASHED, "services": list(services)}


def dsr(name, port, reals):
    return S.service(name, VIP, port, "tcp", "dsr-l2", [S.real(a, m, w) for a, m, w in reals], table_size=TABLE)


def service_ids(usher):
    """{"VIP:port/tcp": id} of the running generation."""
    return {v["service"]: v["id"] for v in usher.maps_dump()["vips"]}


def test_a_flow_whose_service_id_now_names_another_port_of_its_vip_is_passed(usher):
    # New services take the lowest id no live service holds: from an empty config, port 80's
    # service takes the lowest of all, and after it has gone, so does port 82's.
    usher.apply_config(config(), "fs-empty")
    usher.apply_config(config(dsr("flow", 80, weighted((A, 1)))), "fs-80")
    usher.flush_flows()
    old_id = service_ids(usher)[f"{VIP}:80/tcp"]
    establish(usher, 47000, A)

    # The flow's service goes; a service on port 81 keeps the VIP a dsr address. One apply
    # later the old id is free again, and the next new service (port 82, on A too) takes it.
    usher.apply_config(config(dsr("other", 81, weighted((B, 1)))), "fs-81")
    usher.apply_config(config(dsr("other", 81, weighted((B, 1))), dsr("third", 82, weighted((A, 1)))), "fs-82")
    assert service_ids(usher)[f"{VIP}:82/tcp"] == old_id, "precondition: port 82's service has the old id"
    tracked = usher.maps_dump()["conntrack"]["flows"]
    assert any(f["service_id"] == old_id for f in tracked), f"precondition: the old flow is still tracked: {tracked}"

    later = P.frame(client_flow(47000, flags="A"))
    before = usher.current_stats()
    verdict, output = usher.run_packet(later)
    delta = checks.stats_delta(before, usher.stats())
    assert verdict == "XDP_PASS" and output == later, f"{verdict}: {checks.frame_diff(later, output)}"
    assert delta.get("global.pass_not_vip.packets") == 1, delta
    assert delta.get("service.third.packets", 0) == 0 and delta.get(f"real.{A[0]}.packets", 0) == 0, delta


def test_an_exact_port_service_added_beside_the_every_port_one_takes_its_flows(usher):
    every = S.service("any", VIP, "*", "tcp", "dsr-l2", [S.real(A[0], A[1], 1)], table_size=TABLE)
    usher.apply_config(config(every), "fs-any")
    usher.flush_flows()
    establish(usher, 48000, A)
    later = client_flow(48000, flags="A")
    send(usher, later, "XDP_TX", to(A, later), {"global.ct_hit.packets": 1, f"real.{A[0]}.packets": 1})

    usher.apply_config(config(every, dsr("flow", 80, weighted((B, 1)))), "fs-any-80")
    send(usher, later, "XDP_TX", to(B, later),
         {"global.ct_rescheduled.packets": 1, "global.ct_hit.packets": 0, "service.flow.packets": 1,
          f"real.{B[0]}.packets": 1, f"real.{A[0]}.packets": 0})
    send(usher, later, "XDP_TX", to(B, later), {"global.ct_hit.packets": 1, "service.flow.packets": 1})
