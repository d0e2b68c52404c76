"""test_report_csv.py: end-to-end tests of `loadc run --csv` (Locust's CSV files, issue 6).

Runs the real binary against `loadc serve` on 127.0.0.1 and compares the files with what the
server received: request counts per row equal the server's /__stats counts (runs end with
--iterations or a graceful stop with a long stop timeout, so no request is cut off), the
failures file lists the 500s, the history ends with the total. Also: --csv-full-history, the
scenario's `output:` (paths relative to the working directory, the command line wins), an
unwritable prefix (exit 3 before any request), and SIGINT mid-run (complete files). Only
counts are asserted, never a measured time.

Run: LOADC=/path/to/loadc /usr/bin/python3 -m unittest -v test_report_csv   (from tests/e2e)
"""

import csv
import os
import signal
import subprocess
import time
import unittest

from test_run import RunCase, RUN_TIMEOUT

HEADERS = {
    "stats": "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
             "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
             "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%",
    "stats_history": "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,"
                     "90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,"
                     "Total Failure Count,Total Median Response Time,"
                     "Total Average Response Time,Total Min Response Time,"
                     "Total Max Response Time,Total Average Content Size",
    "failures": "Method,Name,Error,Occurrences,First Seen,Last Seen",
    "exceptions": "Count,Message,Traceback,Nodes",
}

MIX = """
    users:
      U:
        wait: {constant: 100ms}
        tasks:
          - get: /json
          - get: /status/500
          - post: /echo
    """


def read_csv(prefix, kind):
    """(header line as written, rows as dicts) of PREFIX_kind.csv."""
    path = "%s_%s.csv" % (prefix, kind)
    with open(path, newline="") as f:
        raw = f.read()
    first = raw.split("\r\n", 1)[0]
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return first, rows


class Csv(RunCase):

    def assert_files(self, prefix, full=False):
        """The four files with Locust's headers; returns {kind: rows}."""
        out = {}
        for kind, header in HEADERS.items():
            self.assertTrue(os.path.isfile("%s_%s.csv" % (prefix, kind)), kind)
            first, rows = read_csv(prefix, kind)
            self.assertEqual(first, header, kind)
            out[kind] = rows
        leftovers = [n for n in os.listdir(os.path.dirname(prefix)) if ".tmp" in n]
        self.assertEqual(leftovers, [])
        return out

    def assert_stats_match_server(self, files, s):
        rows = files["stats"]
        self.assertEqual(rows[-1]["Type"], "")
        self.assertEqual(rows[-1]["Name"], "Aggregated")
        mine = {"%s %s" % (r["Type"], r["Name"]): int(r["Request Count"]) for r in rows[:-1]}
        self.assertEqual(mine, s["requests"])
        self.assertEqual(int(rows[-1]["Request Count"]), s["total"])
        keys = [(r["Name"], r["Type"]) for r in rows[:-1]]
        self.assertEqual(keys, sorted(keys))
        hist = [r for r in files["stats_history"] if r["Name"] == "Aggregated"]
        self.assertGreaterEqual(len(hist), 1)
        self.assertEqual(int(hist[-1]["Total Request Count"]), s["total"])
        stamps = [int(r["Timestamp"]) for r in hist]
        self.assertEqual(stamps, sorted(stamps))
        return hist

    def test_iterations_counts_and_failures(self):
        prefix = os.path.join(self.tmp, "not", "yet", "run")
        start = time.monotonic()
        o = self.run_loadc(MIX, "-u", 1, "-r", 10, "-i", 30, "--csv", prefix, "--only-summary")
        wall = time.monotonic() - start
        self.assertEqual(o.rc, 1, o)  # the 500s failed
        s = self.stats()
        self.assertEqual(s["total"], 30)
        files = self.assert_files(prefix)
        hist = self.assert_stats_match_server(files, s)
        # about one Aggregated row per second, and nothing else without full history
        self.assertLessEqual(len(hist), wall + 2)
        self.assertEqual(len(hist), len(files["stats_history"]))
        fails = files["failures"]
        self.assertEqual(len(fails), 1, fails)
        self.assertEqual((fails[0]["Method"], fails[0]["Name"]), ("GET", "/status/500"))
        self.assertIn("500", fails[0]["Error"])
        self.assertEqual(int(fails[0]["Occurrences"]), s["statuses"]["500"])
        by_name = {r["Name"]: r for r in files["stats"]}
        self.assertEqual(int(by_name["/status/500"]["Failure Count"]), s["statuses"]["500"])
        self.assertEqual(int(by_name["Aggregated"]["Failure Count"]), s["statuses"]["500"])
        self.assertEqual(files["exceptions"], [])

    def test_full_history(self):
        prefix = os.path.join(self.tmp, "full", "run")
        o = self.run_loadc(MIX, "-u", 1, "-r", 10, "-i", 15, "--csv", prefix,
                           "--csv-full-history", "--only-summary")
        self.assertEqual(o.rc, 1, o)
        s = self.stats()
        files = self.assert_files(prefix)
        self.assert_stats_match_server(files, s)
        hist = files["stats_history"]
        names = {(r["Type"], r["Name"]) for r in hist}
        self.assertTrue({("GET", "/json"), ("GET", "/status/500"), ("POST", "/echo"),
                         ("", "Aggregated")} <= names, names)
        # per timestamp: entries first, Aggregated last; the last rows hold the totals per entry
        last = {}
        for r in hist:
            last[(r["Type"], r["Name"])] = int(r["Total Request Count"])
        self.assertEqual({"%s %s" % k: v for k, v in last.items() if k[1] != "Aggregated"},
                         s["requests"])
        self.assertEqual(hist[-1]["Name"], "Aggregated")

    def test_scenario_output_relative_to_cwd(self):
        os.makedirs(os.path.join(self.tmp, "scen"))
        work = os.path.join(self.tmp, "work")
        os.makedirs(work)
        path = self.scenario(MIX.replace("    users:", "    output: {csv: rel/x}\n    users:"),
                             "scen/s.yaml")
        for extra, where in (((), os.path.join(work, "rel", "x")),
                             (("--csv", "cl/y"), os.path.join(work, "cl", "y"))):
            self.server.reset()
            cmd = self.args(path, ["-u", 1, "-i", 6, "--only-summary"] + list(extra), True)
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                               stdin=subprocess.DEVNULL, cwd=work)
            # random picks: /status/500 may or may not come up in 6 (exit 1 or 0)
            self.assertIn(p.returncode, (0, 1), p.stderr)
            files = self.assert_files(where)
            self.assert_stats_match_server(files, self.stats())
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "scen", "rel")))

    def test_unwritable_path_exits_3_before_the_run(self):
        blocker = os.path.join(self.tmp, "a_file")
        with open(blocker, "w") as f:
            f.write("x")
        o = self.run_loadc(MIX, "-u", 2, "-i", 10, "--csv", os.path.join(blocker, "sub", "run"))
        self.assertEqual(o.rc, 3, o)
        self.assertIn("a_file", o.err)
        self.assertEqual(self.stats()["total"], 0)

    def test_stats_intended_only_with_scheduled_users(self):
        # a paced user records response times from the intended start: the fifth file
        prefix = os.path.join(self.tmp, "paced", "run")
        o = self.run_loadc("""
            users:
              U:
                wait: {constant_pacing: 50ms}
                tasks: [{get: /json}, {post: /echo}]
            """, "-u", 1, "-i", 8, "--csv", prefix, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        s = self.stats()
        self.assertEqual(s["total"], 8)
        files = self.assert_files(prefix)
        self.assert_stats_match_server(files, s)
        first, rows = read_csv(prefix, "stats_intended")
        self.assertEqual(first, "Type,Name,Request Count,50%,66%,75%,80%,90%,95%,98%,99%,"
                                "99.9%,99.99%,100%")
        self.assertEqual(rows[-1]["Type"], "")
        self.assertEqual(rows[-1]["Name"], "Aggregated")
        # the entries as in _stats.csv (both have intended figures here), in the same order
        self.assertEqual([(r["Type"], r["Name"]) for r in rows],
                         [(r["Type"], r["Name"]) for r in files["stats"]])
        # at least one sample per request (more when a request overran the pacing interval)
        per = {"%s %s" % (r["Type"], r["Name"]): int(r["Request Count"]) for r in rows[:-1]}
        self.assertEqual(set(per), set(s["requests"]))
        for k, n in per.items():
            self.assertGreaterEqual(n, s["requests"][k], k)
        self.assertEqual(int(rows[-1]["Request Count"]), sum(per.values()))
        for r in rows:
            vals = [float(r[k]) for k in ("50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%",
                                          "99.9%", "99.99%", "100%")]
            self.assertEqual(vals, sorted(vals), r)

        # a plain run with the same prefix: no such file (the stale one is removed)
        plain = """
            users:
              U:
                wait: {constant: 10ms}
                tasks: [{get: /json}]
            """
        self.server.reset()
        o = self.run_loadc(plain, "-u", 1, "-i", 6, "--csv", prefix, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        self.assert_stats_match_server(self.assert_files(prefix), self.stats())
        self.assertFalse(os.path.exists(prefix + "_stats_intended.csv"))
        other = os.path.join(self.tmp, "plain", "run")
        o = self.run_loadc(plain, "-u", 1, "-i", 6, "--csv", other, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        self.assert_files(other)
        self.assertEqual(sorted(os.listdir(os.path.dirname(other))),
                         ["run_%s.csv" % k for k in sorted(HEADERS)])

    def test_sigint_leaves_complete_files(self):
        prefix = os.path.join(self.tmp, "sig", "run")
        p = self.start_loadc("""
            users:
              U:
                wait: {constant: 50ms}
                tasks: [{get: /json}]
            """, "-u", 2, "-r", 100, "-t", "60s", "-s", "5s", "--only-summary", "--csv", prefix)
        # the live files appear while it runs
        self.wait_server(lambda s: s["total"] >= 30, "30 requests")
        self.assertTrue(os.path.isfile(prefix + "_stats.csv"))
        self.assertIsNone(p.poll(), "loadc ended before the signal")
        p.send_signal(signal.SIGINT)
        o = self.finish(p, 15)
        self.assertEqual(o.rc, 0, o)
        files = self.assert_files(prefix)
        self.assert_stats_match_server(files, self.stats())


if __name__ == "__main__":
    unittest.main()
