"""`usher decap attach|detach IFACE` as a real server's admin runs it, with the binary under
test (Tools/test runs this suite against the release build: issue 10, where libbpf refused the
release build's options structs with EINVAL and only the debug build was ever tested).

A veth pair in a namespace of its own, named per run and removed even when a test fails; no
address is configured, nothing is sent.
"""
import subprocess

from labkit import require_root, unique_name, usher_binary
from conftest import require_usher


class Namespace:
    """A network namespace holding one veth pair (uda, udb), both up."""

    def __init__(self):
        self.name = unique_name() + "-decap"
        subprocess.run(["ip", "netns", "add", self.name], check=True, timeout=10)
        try:
            self.ip("link", "add", "uda", "type", "veth", "peer", "name", "udb")
            self.ip("link", "set", "uda", "up")
            self.ip("link", "set", "udb", "up")
        except BaseException:
            self.remove()
            raise

    def ip(self, *args):
        return subprocess.run(["ip", "-n", self.name, *args], check=True, timeout=10,
                              capture_output=True, text=True).stdout

    def usher(self, tmp_path, *args):
        """`usher ARGS` in the namespace, with pin and state directories of the test's own."""
        argv = ["ip", "netns", "exec", self.name, str(usher_binary()),
                "--pin-dir", str(tmp_path / "pins"), "--state-dir", str(tmp_path / "state"), *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=30)

    def ingress_filters(self, interface):
        return subprocess.run(["tc", "-n", self.name, "filter", "show", "dev", interface, "ingress"],
                              capture_output=True, text=True, timeout=10).stdout

    def remove(self):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=10)


def test_decap_attaches_to_a_veth_and_detaches_from_it(tmp_path):
    """attach puts usher_decap on the interface's tc ingress (again: still one filter of
    Usher's), detach removes it, and a second detach says there was nothing to do."""
    require_root()
    require_usher()
    ns = Namespace()
    try:
        attached = ns.usher(tmp_path, "decap", "attach", "uda")
        assert attached.returncode == 0, f"usher decap attach failed:\n{attached.stdout}{attached.stderr}"
        assert "Decapsulating IP-in-IP on uda" in attached.stdout, attached.stdout
        again = ns.usher(tmp_path, "decap", "attach", "uda")
        assert again.returncode == 0, f"attaching again failed:\n{again.stdout}{again.stderr}"
        filters = ns.ingress_filters("uda")
        ours = [line for line in filters.splitlines() if "usher_decap" in line]
        assert len(ours) == 1, f"expected one usher_decap filter on uda's ingress:\n{filters}"
        assert "usher_decap" not in ns.ingress_filters("udb"), "the peer was left alone"

        detached = ns.usher(tmp_path, "decap", "detach", "uda")
        assert detached.returncode == 0, f"usher decap detach failed:\n{detached.stdout}{detached.stderr}"
        assert "Stopped decapsulating on uda" in detached.stdout, detached.stdout
        assert "usher_decap" not in ns.ingress_filters("uda")
        nothing = ns.usher(tmp_path, "decap", "detach", "uda")
        assert nothing.returncode == 0 and "nothing to do" in nothing.stdout, nothing.stdout + nothing.stderr
    finally:
        ns.remove()


def test_decap_names_a_missing_interface(tmp_path):
    """An interface that does not exist: exit 1, the interface named in the error."""
    require_root()
    require_usher()
    ns = Namespace()
    try:
        missing = ns.usher(tmp_path, "decap", "attach", "nope0")
        assert missing.returncode == 1, missing
        assert "nope0" in missing.stderr, missing.stderr
    finally:
        ns.remove()
