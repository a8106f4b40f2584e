"""`usher daemon` in the lab tells an operator's servers what happens: its log goes as RFC 5424
to a remote syslog over UDP and TCP, and a real's state change makes a webhook POST and an
email. The servers (Tools/lab-listener.py) run on the client host, 192.0.2.10, a routed hop
away from the balancer; the syslog one parses every message strictly as RFC 5424.

The sections are added to the lab's usher.yaml and a reload takes them in, so this also shows
that a reload changes where the daemon logs and alerts.
"""
import json
import os
import subprocess
import time
from pathlib import Path

from labkit import PYTHON, REPO, wait_until

LISTENER = REPO / "Tools" / "lab-listener.py"
SYSLOG_UDP, SYSLOG_TCP, WEBHOOK, SMTP = 5514, 5601, 8088, 2525


class Listener:
    """One lab-listener.py in the client's namespace, on the client's address."""

    def __init__(self, lab, kind, *args):
        self.out = Path(lab.facts["dir"]) / f"listener-{kind}.jsonl"
        self.process = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{lab.name}-client", "--", PYTHON, str(LISTENER), kind,
             "--bind", lab.client_address, "--out", str(self.out), "--deadline", "120", *map(str, args)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        assert line, f"lab-listener.py {kind} did not start: {self.process.stderr.read()}"

    def entries(self):
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines() if line.strip()]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def test_a_dead_real_is_logged_as_rfc5424_and_alerted_by_webhook_and_email(daemon_lab):
    lab = daemon_lab
    client = lab.client_address
    real2 = f"{lab.real_address('real2')}:80"
    listeners = [Listener(lab, "syslog", "--udp", SYSLOG_UDP, "--tcp", SYSLOG_TCP),
                 Listener(lab, "http", "--port", WEBHOOK), Listener(lab, "smtp", "--port", SMTP)]
    syslog, webhook, smtp = listeners
    try:
        with open(lab.facts["config"], "a") as config:
            config.write("\n".join([
                "logging:",
                f"  remote-syslog: [udp://{client}:{SYSLOG_UDP}, tcp://{client}:{SYSLOG_TCP}]",
                "  stderr: true",
                "alerts:",
                "  max-per-minute: 30",
                f"  webhook: {{ url: 'http://{client}:{WEBHOOK}/usher', timeout: 2s }}",
                f"  email: {{ server: '{client}:{SMTP}', from: usher@lb.example.com, to: ops@example.com, timeout: 5s }}",
                "",
            ]))
        done = lab.usher("reload", check=False)
        assert done.returncode == 0, (done.stdout, done.stderr)
        time.sleep(0.5)  # the daemon reads the new sections after the reload's event

        lab.server("real2", "stop")

        def down_lines():
            return [e for e in syslog.entries() if "parsed" in e and e["parsed"]["msgid"] == "real-state"
                    and e["parsed"]["sd"].get("usher@32473", {}).get("real") == real2
                    and e["parsed"]["sd"]["usher@32473"].get("state") == "down"]

        assert wait_until(lambda: {e["transport"] for e in down_lines()} == {"udp", "tcp"}, 10), (
            f"no RFC 5424 line of {real2} going down over UDP and TCP; received: {syslog.entries()[-5:]}; "
            f"daemon log:\n{lab.daemon_log()[-2000:]}")
        assert not [e for e in syslog.entries() if "error" in e], [e for e in syslog.entries() if "error" in e][:3]
        line = down_lines()[0]["parsed"]
        fields = line["sd"]["usher@32473"]
        assert fields["service"] in {s["name"] for s in lab.facts["services"]}, fields
        assert fields["previous_state"] == "up" and fields["event"] == "real-state", fields
        assert line["app"] == "usher" and line["facility"] == 3 and line["severity"] == 4, line
        assert real2 in line["msg"] and "down" in line["msg"], line

        def posted():
            events = [json.loads(r["body"]) for r in webhook.entries() if r["method"] == "POST" and r["path"] == "/usher"]
            return [b["event"] for b in events if b.get("alert") == "event" and b["event"].get("real") == real2
                    and b["event"].get("state") == "down"]

        assert wait_until(lambda: posted(), 10), f"no webhook POST of {real2} going down: {webhook.entries()}"
        assert posted()[0]["kind"] == "real-state" and posted()[0]["previousState"] == "up", posted()[0]

        def mailed():
            return [m for m in smtp.entries() if f"{real2} of " in m["data"] and " is down" in m["data"]]

        assert wait_until(lambda: mailed(), 10), f"no email of {real2} going down: {smtp.entries()}"
        mail = mailed()[0]
        assert mail["from"] == "usher@lb.example.com" and mail["to"] == ["ops@example.com"], mail
        assert "\r\nSubject: [usher] " in mail["data"], mail["data"]
        # stderr keeps its lines too (stderr: true), and said what the reload changed.
        assert "real server down" in lab.daemon_log()
        assert f"syslog=udp://{client}:{SYSLOG_UDP}, tcp://{client}:{SYSLOG_TCP}" in lab.daemon_log(), lab.daemon_log()[-2000:]
        assert "alert settings changed" in lab.daemon_log()
    finally:
        for listener in listeners:
            listener.stop()
