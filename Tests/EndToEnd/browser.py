"""The status page in a real browser: headless chromium started on a lab host, and, for daemons
whose API listens only on their Unix socket, a small HTTP server on the same host that passes
each request on to that socket (the page and its API calls), so the browser can open it."""
import shutil
import tempfile
import time

import pytest

from labkit import PYTHON

# Serves 127.0.0.1:PORT, each GET passed to the daemon's API socket (argv: socket, port).
_SOCKET_PROXY = r'''
import http.client, http.server, socket, sys
SOCKET, PORT = sys.argv[1], int(sys.argv[2])
class UnixConnection(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(5)
        self.sock.connect(SOCKET)
class Pass(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        upstream = UnixConnection("usher")
        upstream.request("GET", self.path)
        answer = upstream.getresponse()
        body = answer.read()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.getheader("Content-Type", "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Pass).serve_forever()
'''


def chromium(run, url, *args):
    """Headless chromium on a lab host (`run(*argv, timeout=…)` runs there) opening `url`."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.fail("chromium is not installed: run Tools/install-deps")
    home = tempfile.mkdtemp(prefix="usher-chromium-")
    try:
        return run("env", f"HOME={home}", browser, "--headless", "--no-sandbox", "--disable-gpu",
                   f"--user-data-dir={home}", "--no-first-run", "--virtual-time-budget=10000",
                   "--window-size=1400,1000", *args, url, timeout=90)
    finally:
        shutil.rmtree(home, ignore_errors=True)


class SocketPage:
    """The daemon's status page on http://127.0.0.1:PORT/ of the lab host whose `popen` and `run`
    are given, passed on to its API socket; stopped on leaving the `with`."""

    def __init__(self, popen, run, api_socket, port=18080):
        self.popen, self.run, self.api_socket, self.port = popen, run, str(api_socket), port
        self.url = f"http://127.0.0.1:{port}/"

    def __enter__(self):
        self.process = self.popen(PYTHON, "-c", _SOCKET_PROXY, self.api_socket, str(self.port))
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.run("curl", "-sf", "-o", "/dev/null", "--max-time", "2", self.url + "api/v1/status", check=False).returncode == 0:
                return self
            time.sleep(0.1)
        self.__exit__()
        pytest.fail(f"the page proxy on {self.url} did not answer within 10 s")

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait(timeout=10)

    def dom(self):
        """The page's DOM once its scripts have rendered it."""
        return chromium(lambda *argv, timeout: self.run(*argv, timeout=timeout), self.url, "--dump-dom").stdout
