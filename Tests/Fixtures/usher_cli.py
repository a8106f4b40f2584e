"""The real `usher` CLI, driven as a user would: apply a config file, run frames through the
program with `debug run-packet`, read `stats` and `maps dump`. Every call names the test's own
pin and state directories (as options and in the environment, so a CLI that missed one still
never touches the defaults)."""

import json
import os
import shutil
import subprocess

import scenarios


class UsherError(AssertionError):
    pass


class UsherCLI:
    def __init__(self, binary, pin_dir, state_dir, work_dir):
        self.binary = binary
        self.pin_dir = pin_dir
        self.state_dir = state_dir
        self.work_dir = work_dir
        self.scenario = None
        self.env = dict(os.environ, USHER_PIN_DIR=pin_dir, USHER_STATE_DIR=state_dir)
        # The last `stats` reading, while it is still current: no frame has run and no config
        # has been applied since (flushing flows and reading maps leave counters alone).
        self._reading = None

    def call(self, command, *args, check=True, timeout=60, cpu=None):
        """`usher COMMAND… --pin-dir P --state-dir S ARGS…`; raises UsherError on failure.
        `cpu`: run the process on that CPU only (what BPF_PROG_TEST_RUN runs the program on)."""
        argv = [self.binary, *command, "--pin-dir", self.pin_dir, "--state-dir", self.state_dir, *args]
        if cpu is not None:  # taskset, not preexec_fn: callers run CPUs from threads
            argv = [shutil.which("taskset") or "/usr/bin/taskset", "-c", str(cpu), *argv]
        result = subprocess.run(argv, capture_output=True, text=True, env=self.env, timeout=timeout)
        if check and result.returncode != 0:
            raise UsherError(f"`{' '.join(argv)}` exited {result.returncode}\n"
                             f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        return result

    def apply_config(self, config, name):
        path = os.path.join(self.work_dir, f"{name}.yaml")
        with open(path, "w", encoding="utf-8") as file:
            file.write(scenarios.to_yaml(config))
        self._reading = None
        self.call(["apply"], "-f", path)
        self.scenario = None

    def use(self, scenario):
        """Apply a named scenario unless it is the one applied last."""
        if self.scenario != scenario:
            self.apply_config(scenarios.SCENARIOS[scenario], scenario)
            self.scenario = scenario

    def run_packet(self, frame, cpu=0):
        """(verdict, output bytes) of one frame through the balancer program, run on CPU `cpu`
        (always pinned: the SNAT ports a nat flow gets depend on the CPU)."""
        self._reading = None
        result = self.call(["debug", "run-packet"], frame.hex(), "--json", cpu=cpu)
        report = self._json(result)
        if not isinstance(report, dict) or "verdict" not in report or "output" not in report:
            raise UsherError(f"run-packet --json printed {result.stdout!r}, not "
                             '{"verdict":…,"output":…} as contracts.md says')
        return report["verdict"], bytes.fromhex(report["output"])

    def flush_flows(self):
        self.call(["debug", "flush-flows"])

    def stats(self):
        report = self._json(self.call(["stats"], "--json"))
        if not isinstance(report, dict) or "global" not in report:
            raise UsherError(f"stats --json printed {report!r}, without the \"global\" object")
        self._reading = report
        return report

    def current_stats(self):
        """The counters now: the last reading if nothing can have moved them since, else a new
        one (saves a `usher stats` per fixture: the reading after one frame is the reading
        before the next)."""
        return self._reading if self._reading is not None else self.stats()

    def maps_dump(self):
        return self._json(self.call(["maps", "dump"], "--json"))

    def flows(self, *args):
        """`usher flows --json ARGS…` (nat.md): {"flows": [...], "shown": N, "total": M}."""
        return self._json(self.call(["flows"], "--json", *args))

    def read_map(self, name):
        """Entries of the pinned map `name` as bpftool formats them with BTF:
        [{"key": ..., "value": ...}] (what the program itself reads)."""
        bpftool = shutil.which("bpftool") or "/usr/sbin/bpftool"
        path = os.path.join(self.pin_dir, name)
        out = subprocess.run([bpftool, "-j", "map", "dump", "pinned", path],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise UsherError(f"bpftool map dump pinned {path} exited {out.returncode}: {out.stderr}")
        entries = json.loads(out.stdout)
        missing = [e for e in entries if "formatted" not in e]
        if missing:
            raise UsherError(f"bpftool gave no BTF-formatted entries for {name}: {missing[:1]}")
        return [e["formatted"] for e in entries]

    def global_settings(self):
        """The one usher_global_v2 entry: nr_cpus, nat timeouts, flags."""
        entries = self.read_map("usher_global_v2")
        assert len(entries) == 1, f"usher_global_v2 has {len(entries)} entries"
        return entries[0]["value"]

    @staticmethod
    def _json(result):
        try:
            return json.loads(result.stdout)
        except json.JSONDecodeError as error:
            raise UsherError(f"`{' '.join(result.args)}` printed no JSON ({error}):\n{result.stdout}") from None
