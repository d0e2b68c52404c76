"""test_report_thresholds.py: end-to-end tests of thresholds, exit codes and the JUnit report
(issue 6) with real runs of `loadc run` against `loadc serve` on 127.0.0.1.

Each exit code comes from a real run: 0 when thresholds pass although a request failed, 1 for a
failing threshold, 1 without thresholds when a request failed, --exit-code-on-error N, 2 for a
bad scenario and 3 for a JUnit path that cannot be written (found before the run: the server
gets no request). An abort_on_fail threshold stops a 30 s run early (the run's end is
"aborted") and the JUnit file is still written. Every JUnit file written is validated with
`xmllint --schema ../schema/junit.xsd` (Debian's libxml2-utils) and read with ElementTree.

Runs end by --iterations (exact counts) or by the abort; none asserts on a measured time. The
abort test only bounds the run by the subprocess timeout (far below the 30 s run time).

Run: LOADC=/path/to/loadc /usr/bin/python3 -m unittest -v test_report_thresholds
"""

import os
import shutil
import subprocess
import tempfile
import textwrap
import time
import unittest
import xml.etree.ElementTree as ET

from harness import Server, find_loadc

LOADC = find_loadc()
XSD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "schema", "junit.xsd")
RUN_TIMEOUT = 25.0

# 1 user, 5 iterations of a task of 4 requests: 20 requests, 5 of them failed (25 %)
MIXED = """
host: {url}
users:
  U:
    tasks:
      - steps:
          - get: /json
          - get: /json
            name: /json-checked
            check: {{json: {{"$.count": {{gt: 100}}}}}}
          - get: /echo
          - get: /status/500
load: {{users: 1, spawn_rate: 1}}
"""


class ThresholdRunCase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="loadc-thr-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.server.reset()

    def scenario(self, body, thresholds=(), extra=""):
        text = textwrap.dedent(body).format(url=self.server.url).lstrip("\n")
        if thresholds:
            text += "thresholds:\n" + "".join("  - %s\n" % t for t in thresholds)
        text += textwrap.dedent(extra)
        path = os.path.join(self.tmp, "s.yaml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_loadc(self, path, *args, timeout=RUN_TIMEOUT):
        p = subprocess.run([LOADC, "run", path] + [str(a) for a in args],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def server_requests(self):
        return self.server.stats()["total"]

    def valid_junit(self, path):
        """Validates the file against the XSD and returns its root element."""
        xmllint = shutil.which("xmllint")
        self.assertIsNotNone(xmllint, "xmllint not found: install libxml2-utils (.ci/deps test)")
        p = subprocess.run([xmllint, "--noout", "--schema", XSD, path], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        return ET.parse(path).getroot()

    @staticmethod
    def suite(root, name):
        return next(s for s in root.findall("testsuite") if s.get("name") == name)

    @staticmethod
    def cases(suite):
        return {c.get("name"): c for c in suite.findall("testcase")}

    # -----------------------------------------------------------------------------------------

    def test_exit_0_thresholds_pass_despite_failed_requests(self):
        junit = os.path.join(self.tmp, "out", "deep", "junit.xml")
        path = self.scenario(MIXED, ["error_rate <= 50%", "requests == 20", "failures == 10",
                                     "requests{name=/status/500} == 5", "check_rate == 0%"],
                             extra="output: {junit: %s}\n" % junit)
        rc, out, err = self.run_loadc(path, "-i", 5)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.server_requests(), 20)
        # 10 failures of 20 requests (the check and the 500): exactly 50 %
        self.assertRegex(out, r"(?m)^PASS  error_rate <= 50% +measured 50 % +limit <= 50 %$")
        root = self.valid_junit(junit)
        th = self.cases(self.suite(root, "loadc thresholds"))
        self.assertEqual(list(th), ["error_rate <= 50%", "requests == 20", "failures == 10",
                                    "requests{name=/status/500} == 5", "check_rate == 0%"])
        self.assertTrue(all(c.find("failure") is None for c in th.values()))
        self.assertEqual(root.get("skipped"), "0")

    def test_intended_threshold_without_scheduled_users_fails(self):
        # a closed model without pacing records nothing from the intended start
        path = self.scenario(MIXED, ["requests == 20", "p99_intended < 1s"])
        rc, out, err = self.run_loadc(path, "-i", 5)
        self.assertEqual(rc, 1, out + err)
        self.assertEqual(self.server_requests(), 20)
        self.assertRegex(out, r"(?m)^FAIL  p99_intended < 1s +measured n/a +limit < 1000 ms  "
                              r"\(no response time from the intended start: the run had no "
                              r"scheduled users \(open model, constant_pacing or "
                              r"constant_throughput\)\)$")
        self.assertNotIn("Response time percentiles from the intended start", out)

    def test_exit_1_failing_threshold(self):
        junit = os.path.join(self.tmp, "j.xml")
        path = self.scenario(MIXED, ["requests == 20", "error_rate < 10%"])
        rc, out, err = self.run_loadc(path, "-i", 5, "--junit", junit)
        self.assertEqual(rc, 1, out + err)
        self.assertRegex(out, r"(?m)^PASS  requests == 20 +measured 20 +limit == 20$")
        self.assertRegex(out, r"(?m)^FAIL  error_rate < 10% +measured 50 % +limit < 10 %$")
        root = self.valid_junit(junit)
        self.assertEqual(root.get("failures"), "3")  # a threshold, a check, the default rule
        th = self.cases(self.suite(root, "loadc thresholds"))
        self.assertIsNone(th["requests == 20"].find("failure"))
        self.assertEqual(th["error_rate < 10%"].find("failure").get("message"),
                         "measured 50 %, want < 10 %")
        checks = self.cases(self.suite(root, "loadc checks"))
        self.assertEqual(sorted(checks), ["check json $.count", "default rule"])
        self.assertEqual(checks["check json $.count"].find("failure").get("message"),
                         "5 failed requests")
        self.assertIn("5 GET /status/500: HTTPError 500 for /status/500",
                      checks["default rule"].find("failure").text)
        prop = {p.get("name"): p.get("value") for p in root.iter("property")}
        self.assertEqual(prop["end"], "completed")
        self.assertEqual(prop["requests"], "20")

    def test_exit_1_without_thresholds_when_a_request_failed(self):
        path = self.scenario(MIXED)
        rc, out, err = self.run_loadc(path, "-i", 1)
        self.assertEqual(rc, 1, out + err)
        self.assertNotIn("Thresholds", out)
        self.assertEqual(self.server_requests(), 4)

    def test_exit_0_without_thresholds_when_nothing_failed(self):
        path = self.scenario("""
            host: {url}
            users:
              U:
                tasks:
                  - get: /json
            load: {{users: 1, spawn_rate: 1}}
            """)
        rc, out, err = self.run_loadc(path, "-i", 3)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.server_requests(), 3)

    def test_exit_code_on_error(self):
        path = self.scenario(MIXED, ["failures == 0"])
        rc, out, err = self.run_loadc(path, "-i", 2, "--exit-code-on-error", 7)
        self.assertEqual(rc, 7, out + err)
        self.assertRegex(out, r"(?m)^FAIL  failures == 0 +measured 4 +limit == 0$")

    def test_exit_2_bad_scenario(self):
        path = self.scenario(MIXED, ["p95 < 500"])
        rc, out, err = self.run_loadc(path, "-i", 1, "--junit", os.path.join(self.tmp, "j.xml"))
        self.assertEqual(rc, 2, out + err)
        self.assertIn("needs a unit", err)
        self.assertEqual(self.server_requests(), 0)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "j.xml")))

    def test_exit_3_unwritable_junit_before_the_run(self):
        blocker = os.path.join(self.tmp, "a-file")
        with open(blocker, "w") as f:
            f.write("x")
        path = self.scenario(MIXED, ["requests > 0"])
        for junit in (os.path.join(blocker, "j.xml"), self.tmp):
            rc, out, err = self.run_loadc(path, "-i", 1, "--junit", junit)
            self.assertEqual(rc, 3, out + err)
            self.assertIn("loadc run: JUnit report:", err)
        self.assertEqual(self.server_requests(), 0)

    def test_abort_on_fail_stops_the_run(self):
        junit = os.path.join(self.tmp, "abort.xml")
        path = self.scenario("""
            host: {url}
            users:
              U:
                wait: {{constant: 0.05s}}
                tasks:
                  - get: /status/503
            load: {{users: 2, spawn_rate: 10, run_time: 30s}}
            """, ['{expr: "error_rate < 1%", abort_on_fail: true, delay: 1s}', "requests > 0"])
        start = time.monotonic()
        rc, out, err = self.run_loadc(path, "--junit", junit, timeout=RUN_TIMEOUT)
        self.assertLess(time.monotonic() - start, RUN_TIMEOUT)
        self.assertEqual(rc, 1, out + err)
        self.assertRegex(err, r"loadc run: threshold 'error_rate < 1%' failed at \d+s "
                              r"\(measured 100 %\): stopping the run")
        self.assertRegex(out, r"(?m)^FAIL  error_rate < 1% .*\(stopped the run\)$")
        self.assertRegex(out, r"(?m)^PASS  requests > 0 ")
        root = self.valid_junit(junit)
        prop = {p.get("name"): p.get("value") for p in root.iter("property")}
        self.assertEqual(prop["end"], "aborted")
        th = self.cases(self.suite(root, "loadc thresholds"))
        self.assertIn("stopped the run", th["error_rate < 1%"].find("failure").text)
        self.assertGreater(self.server_requests(), 0)


if __name__ == "__main__":
    unittest.main()
