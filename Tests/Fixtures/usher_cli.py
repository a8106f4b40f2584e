"""The real `usher` CLI, driven as a user would: apply a config file, run frames through the
program with `debug run-packet`, read `stats` and `maps dump`. Every call names the test's own
pin and state directories (as options and in the environment, so a CLI that missed one still
never touches the defaults)."""

import json
import os
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

    def call(self, command, *args, check=True, timeout=60):
        """`usher COMMAND… --pin-dir P --state-dir S ARGS…`; raises UsherError on failure."""
        argv = [self.binary, *command, "--pin-dir", self.pin_dir, "--state-dir", self.state_dir, *args]
        result = subprocess.run(argv, capture_output=True, text=True, env=self.env, timeout=timeout)
        if check and result.returncode != 0:
            raise UsherError(f"`{' '.join(argv)}` exited {result.returncode}\n"
                             f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        return result

    def apply_config(self, config, name):
        path = os.path.join(self.work_dir, f"{name}.yaml")
        with open(path, "w", encoding="utf-8") as file:
            file.write(scenarios.to_yaml(config))
        self.call(["apply"], "-f", path)
        self.scenario = None

    def use(self, scenario):
        """Apply a named scenario unless it is the one applied last."""
        if self.scenario != scenario:
            self.apply_config(scenarios.SCENARIOS[scenario], scenario)
            self.scenario = scenario

    def run_packet(self, frame):
        """(verdict, output bytes) of one frame through the balancer program."""
        result = self.call(["debug", "run-packet"], frame.hex(), "--json")
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
        return report

    def maps_dump(self):
        return self._json(self.call(["maps", "dump"], "--json"))

    @staticmethod
    def _json(result):
        try:
            return json.loads(result.stdout)
        except json.JSONDecodeError as error:
            raise UsherError(f"`{' '.join(result.args)}` printed no JSON ({error}):\n{result.stdout}") from None
