"""test_console.py: end-to-end tests of what `loadc run` prints while it runs (issue 6): Locust's
statistics table every 2 s on stderr with current rates, --only-summary and --quiet, and, on a
terminal (a pseudo-terminal made by the test), a status line with a progress bar, colours unless
NO_COLOR is set. Runs against `loadc serve` on 127.0.0.1; asserts on text, never on timings
(a 5 s run prints its table at 2 s and 4 s; the test accepts 1 to 3 tables).

Run: LOADC=/path/to/loadc /usr/bin/python3 -m unittest -v test_console   (from tests/e2e)
"""

import os
import pty
import select
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import Server, find_loadc

LOADC = find_loadc()
SCENARIO = """\
version: 1
name: console
users:
  Reader:
    wait: {constant: 0.1s}
    tasks:
      - get: /json
      - get: /status/500
"""
HEADER = "Type     Name                                       # reqs        # fails |"


class ConsoleCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.tmp = tempfile.mkdtemp(prefix="loadc-console-")
        cls.path = os.path.join(cls.tmp, "s.yaml")
        with open(cls.path, "w") as f:
            f.write(SCENARIO)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.tmp, True)

    def run_loadc(self, *args):
        cmd = [LOADC, "run", self.path, "-H", self.server.url, "-u", "2", "-r", "2", "-t", "5s",
               "--stop-timeout", "2s"] + list(args)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)

    def test_table_every_two_seconds(self):
        p = self.run_loadc()
        self.assertEqual(p.returncode, 1, p.stderr)  # /status/500 failed
        tables = p.stderr.count(HEADER)
        self.assertTrue(1 <= tables <= 3, "%d tables on stderr:\n%s" % (tables, p.stderr))
        self.assertIn("GET      /status/500", p.stderr)
        self.assertIn("         Aggregated", p.stderr)
        self.assertNotIn("\x1b[", p.stderr)  # not a terminal: no escapes
        # the final summary goes to stdout, once, with the percentiles and the error report
        self.assertEqual(p.stdout.count(HEADER), 1, p.stdout)
        self.assertIn("Response time percentiles", p.stdout)
        self.assertIn("GET /status/500: HTTPError 500 for /status/500", p.stdout)

    def test_only_summary(self):
        p = self.run_loadc("--only-summary")
        self.assertNotIn(HEADER, p.stderr)
        self.assertEqual(p.stdout.count(HEADER), 1, p.stdout)

    def test_quiet(self):
        p = self.run_loadc("--quiet")
        self.assertEqual(p.stdout, "")
        self.assertNotIn(HEADER, p.stderr)
        self.assertEqual(p.returncode, 1)

    def test_tls_verification_off_is_warned_once(self):
        path = os.path.join(self.tmp, "insecure.yaml")
        with open(path, "w") as f:
            f.write("version: 1\nusers:\n  U:\n    tasks:\n"
                    "      - {get: /json, verify_tls: false}\n"
                    "      - {get: /json, name: again, verify_tls: false}\n")
        p = subprocess.run([LOADC, "run", path, "-H", self.server.url, "-i", "4", "--only-summary"],
                           capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr.count("TLS certificate verification is off"), 1, p.stderr)
        self.assertIn("verify_tls: false at %s:5)" % path, p.stderr)
        q = self.run_loadc("--only-summary")
        self.assertNotIn("TLS certificate verification", q.stderr)

    def run_on_terminal(self, env):
        """Runs loadc with stderr on a pseudo-terminal; returns what it wrote there."""
        master, slave = pty.openpty()
        cmd = [LOADC, "run", self.path, "-H", self.server.url, "-u", "2", "-r", "2", "-t", "3s",
               "--stop-timeout", "2s"]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=slave, env=env)
        os.close(slave)
        out = b""
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                r, _, _ = select.select([master], [], [], 0.5)
                if r:
                    try:
                        data = os.read(master, 65536)
                    except OSError:  # EIO: the child closed its end
                        break
                    if not data:
                        break
                    out += data
                elif proc.poll() is not None:
                    break
        finally:
            os.close(master)
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        return out.decode("utf-8", "replace")

    def test_status_line_on_a_terminal(self):
        env = dict(os.environ)
        env.pop("NO_COLOR", None)
        out = self.run_on_terminal(env)
        self.assertIn("\r\x1b[2K", out)
        self.assertRegex(out, r"00:0\d / 00:03\x1b\[0m  \[[#.]+\] +\d+%  users \d  req/s [\d.]+  ")
        self.assertIn("\x1b[31mfailures", out)  # red: requests failed
        self.assertIn(HEADER, out)

    def test_no_color(self):
        env = dict(os.environ)
        env["NO_COLOR"] = "1"
        out = self.run_on_terminal(env)
        self.assertRegex(out, r"00:0\d / 00:03  \[[#.]+\] +\d+%  users \d")
        self.assertNotIn("\x1b[1m", out)
        self.assertNotIn("\x1b[31m", out)


if __name__ == "__main__":
    unittest.main()
