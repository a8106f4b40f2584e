"""`usher daemon` speaks systemd's notify protocol (Type=notify, WatchdogSec): READY=1 once the
config is applied and the proxy listens, WATCHDOG=1 every half WATCHDOG_USEC, RELOADING=1 then
READY=1 around a SIGHUP, STOPPING=1 on SIGTERM — received here on a socket of our own, as systemd
would. The daemon runs with `unshare -n` (a network namespace of its own, nothing attached)."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from labkit import require_root, unique_name, usher_binary

CONFIG = """services:
  - name: web
    vip: 203.0.113.10
    port: 80
    protocol: tcp
    mode: dsr-l2
    reals:
      - address: 198.51.100.11
        mac: 02:00:00:00:00:11
"""


@pytest.fixture
def notify_socket():
    require_root()
    directory = tempfile.mkdtemp(prefix="usher-notify-")
    path = os.path.join(directory, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    try:
        yield sock, path, directory
    finally:
        sock.close()
        shutil.rmtree(directory, ignore_errors=True)


def messages_until(sock, wanted, timeout):
    """Every datagram received until one holding `wanted` (or the timeout): list of strings."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            seen.append(sock.recv(4096).decode())
        except socket.timeout:
            continue
        if wanted in seen[-1]:
            break
    return seen


def test_ready_watchdog_reload_and_stop_are_told_to_systemd(notify_socket):
    sock, path, directory = notify_socket
    config = os.path.join(directory, "usher.yaml")
    with open(config, "w") as file:
        file.write(CONFIG)
    pins = f"/sys/fs/bpf/usher-notify-{unique_name()}"
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="400000")
    env.pop("WATCHDOG_PID", None)
    daemon = subprocess.Popen(
        ["unshare", "-n", str(usher_binary()), "daemon", "-c", config, "--pin-dir", pins,
         "--state-dir", os.path.join(directory, "state")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        ready = messages_until(sock, "READY=1", 30)
        assert ready and "READY=1" in ready[-1], f"no READY=1: {ready}"
        # A reload asked the moment the daemon is ready (systemctl reload right after start)
        # must reload, not end the process with SIGHUP's default action.
        daemon.send_signal(signal.SIGHUP)
        reload = messages_until(sock, "READY=1", 10)
        assert any("RELOADING=1" in m for m in reload) and "READY=1" in reload[-1], (reload, daemon.poll())
        watchdog = messages_until(sock, "WATCHDOG=1", 2)
        assert watchdog and "WATCHDOG=1" in watchdog[-1], f"no WATCHDOG=1 within 2 s at WATCHDOG_USEC=400000: {watchdog}"
        daemon.send_signal(signal.SIGTERM)
        stop = messages_until(sock, "STOPPING=1", 10)
        assert stop and "STOPPING=1" in stop[-1], stop
        assert daemon.wait(timeout=20) == 0, daemon.stdout.read()
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=10)
        for name in os.listdir(pins) if os.path.isdir(pins) else []:
            os.unlink(os.path.join(pins, name))
        if os.path.isdir(pins):
            os.rmdir(pins)
