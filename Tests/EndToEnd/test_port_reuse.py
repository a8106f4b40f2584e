"""A client that reuses a source port (anything behind a NAT does) after a real was drained:
its new connection is a SYN on a tuple Usher already tracks, and Maglev must place it
(issue 10), while the drained real's established connection keeps flowing.

The client's connections here read to the server's close before closing, so the client keeps
no TIME_WAIT and can connect from the same port again at once.
"""
import pytest

from labkit import PYTHON, real_stats

REALS = ("real1", "real2", "real3")
MODES = [pytest.param("web-l2", id="dsr-l2"), pytest.param("web-ipip", id="dsr-ipip")]

# One GET / from a fixed source port, read to the server's close; prints the body (the real's
# name). Bounded: a 3 s timeout on every socket call, at most 64 reads.
FETCH = r"""
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(3)
s.bind(("", port))
s.connect((host, 80))
s.sendall(b"GET / HTTP/1.1\r\nHost: usher\r\nConnection: close\r\n\r\n")
data = b""
for _ in range(64):
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
s.close()
head, _, body = data.partition(b"\r\n\r\n")
assert head.startswith(b"HTTP/1.1 200"), data[:200]
print(body.decode().strip())
"""


def fetch(lab, vip, port):
    """The real that answers a new connection from client port `port`."""
    return lab.run("client", PYTHON, "-c", FETCH, vip, port, timeout=20).stdout.strip()


@pytest.mark.parametrize("service_name", MODES)
def test_a_reused_client_port_reaches_another_real_once_its_real_drains(balanced_lab, service_name):
    lab = balanced_lab
    service = lab.service(service_name)
    vip = service["vip"]
    stream = lab.stream(vip, seconds=10)
    drained = stream.wait_first()
    port = None
    for _ in range(30):  # a client port whose connection the stream's real answers (1 in 3)
        candidate = lab.source_ports(1)
        if fetch(lab, vip, candidate) == drained:
            port = candidate
            break
    assert port, f"30 connections, none answered by {drained}"

    lab.usher("real", "drain", service_name, lab.real_address(drained))
    marks = lab.log_marks()
    assert stream.process.poll() is None, "the stream must still run when the port is reused"
    again = fetch(lab, vip, port)  # the same client port: a new connection on a tracked tuple

    assert again != drained and again in REALS, (
        f"a new connection from client port {port} reached {again!r}; {drained} is drained")
    assert lab.requests_since(marks)[drained] == [], f"{drained} logged requests after it was drained"
    report = stream.result()
    assert report["intact"] and report["real"] == drained and report["lines"] == 100, (
        f"the drained real's established connection was disturbed: {report}")
    seen = real_stats(lab.stats(), lab.real_address(drained), service)
    assert seen["new_flows"] == 2, f"{drained}: the stream and port {port}'s first connection only: {seen}"
