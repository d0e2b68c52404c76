"""test_report_json.py: end-to-end tests of the JSON result (`loadc run --json`, the scenario's
`output: {json: F}`) and of `loadc report RESULT.json` against `loadc serve`.

A run ended by --iterations (nothing cut off mid-flight, see test_run.py) writes a result that
must validate against schemas/result.schema.json (python3-jsonschema, installed by `.ci/deps
test`; the schema part is skipped only when the module is missing), whose counts equal what the
server received, and whose percentiles are those the console summary printed. `loadc report`
re-prints the same summary and re-writes the same document; bad files end in an error exit with
a message, never a crash. No assertion on a measured time.

Run: LOADC=/path/to/loadc /usr/bin/python3 -m unittest -v test_report_json   (from tests/e2e)
"""

import json
import os
import re
import signal
import subprocess
import unittest

from test_run import LOADC, RunCase

try:
    import jsonschema
except ImportError:  # Debian: python3-jsonschema
    jsonschema = None

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schemas",
                      "result.schema.json")

MIX = """
    name: json result
    users:
      Mixed:
        tasks:
          - get: /json
            weight: 3
          - get: /status/404
          - post: /echo
            json: {user: "{{ user_id() }}"}
          - name: two steps
            steps:
              - get: /bytes/100
              - get: /status/500
    """


def percentile_table(out):
    """{(type, name): [11 strings]} from the console's "Response time percentiles" table."""
    lines = out.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("Response time percentiles"))
    rows = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        kind, name = line[0:8].strip(), line[9:49].strip()
        rows[(kind, name)] = line[49:].split()[:11]
    return rows


def summary(out):
    """The console summary: from the statistics table's header to the end."""
    i = out.index("Type     Name")
    return out[i:]


class JsonResult(RunCase):

    def report(self, *args, timeout=30):
        p = subprocess.run([LOADC, "report"] + [str(a) for a in args], capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        self.assert_no_sanitizer_report(p.stderr)
        return p

    def load(self, path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def test_run_writes_a_result_that_matches_server_and_console(self):
        path = os.path.join(self.tmp, "out", "deep", "r.json")  # directories are created
        o = self.run_loadc(MIX, "-u", 4, "-r", 100, "-i", 300, "--threads", 2, "--only-summary",
                           "--json", path)
        self.assertEqual(o.rc, 1, o)  # 404 and 500 fail
        doc = self.load(path)
        if jsonschema is not None:
            with open(SCHEMA, encoding="utf-8") as f:
                schema = json.load(f)
            jsonschema.Draft202012Validator.check_schema(schema)
            jsonschema.Draft202012Validator(schema).validate(doc)
        self.assertEqual((doc["format"], doc["version"]), ("loadc-result", 1))
        self.assertEqual(doc["run"]["scenario_name"], "json result")
        self.assertEqual(doc["run"]["end_reason"], "completed")
        self.assertEqual(doc["run"]["host"], self.server.url)
        self.assertEqual(doc["run"]["peak_users"], 4)
        # counts: exactly what the server received
        s = self.stats()
        mine = {"%s %s" % (e["method"], e["name"]): e["num_requests"] for e in doc["entries"]}
        self.assertEqual(mine, s["requests"])
        self.assertEqual(doc["aggregated"]["num_requests"], s["total"])
        failed = s["statuses"].get("404", 0) + s["statuses"].get("500", 0)
        self.assertEqual(doc["aggregated"]["num_failures"], failed)
        self.assertEqual(sum(e["occurrences"] for e in doc["errors"]), failed)
        for e in doc["entries"] + [doc["aggregated"]]:
            h = e["histogram"]
            self.assertEqual(sum(c for _, c in h["buckets"]), e["num_requests"])
            self.assertEqual(h["count"], e["num_requests"])
        # percentiles: those the console printed (one decimal there)
        table = percentile_table(o.out)
        for e in doc["entries"] + [doc["aggregated"]]:
            key = (e["method"], e["name"]) if e is not doc["aggregated"] else ("", "Aggregated")
            pcts = ["%.1f" % e["percentiles_ms"][k] for k in
                    ("50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%",
                     "100%")]
            self.assertEqual(pcts, table[key], (key, o))
        # history rows name their entries, the Aggregated point first
        self.assertTrue(doc["history"], doc["history"])
        last = doc["history"][-1]["points"]
        self.assertEqual((last[0]["name"], last[0]["method"]), ("Aggregated", ""))
        self.assertEqual(last[0]["total_requests"], s["total"])
        names = {(e["method"], e["name"]) for e in doc["entries"]}
        for row in doc["history"]:
            for p in row["points"][1:]:
                self.assertIn((p["method"], p["name"]), names)

        # loadc report: the same summary, and the same document again
        again = os.path.join(self.tmp, "r2.json")
        p = self.report(path, "--json", again)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(summary(p.stdout), summary(o.out))
        with open(path, "rb") as a, open(again, "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertEqual(self.load(again), doc)

    def test_bad_result_files_are_errors_not_crashes(self):
        path = os.path.join(self.tmp, "r.json")
        o = self.run_loadc(MIX, "-u", 2, "-r", 100, "-i", 50, "-q", "--json", path)
        self.assertEqual(o.rc, 1, o)
        with open(path, "rb") as f:
            good = f.read()
        doc = json.loads(good)

        def write(name, data):
            p = os.path.join(self.tmp, name)
            with open(p, "wb") as f:
                f.write(data if isinstance(data, bytes) else json.dumps(data).encode())
            return p

        bad_count = json.loads(good)
        bad_count["entries"][0]["histogram"]["count"] += 1
        bad_version = dict(doc, version=2)
        bad_point = json.loads(good)
        bad_point["history"][0]["points"].append(dict(bad_point["history"][0]["points"][0],
                                                      name="/nowhere", method="GET"))
        cases = [
            ("trunc.json", good[:len(good) // 2], r"trunc\.json:\d+:\d+: not valid JSON"),
            ("empty.json", b"", r"not valid JSON"),
            ("binary.json", bytes(range(256)), r"not valid JSON"),
            ("other.json", {"format": "k6", "version": 1}, r"not a loadc result"),
            ("version.json", bad_version, r"version 2 is not supported"),
            ("count.json", bad_count, r"entries\[0\]\.histogram: the buckets do not match"),
            ("point.json", bad_point, r"history\[0\]\.points\[\d+\]: names an entry"),
        ]
        for name, data, msg in cases:
            p = self.report(write(name, data), "--json", os.path.join(self.tmp, "x.json"))
            self.assertEqual(p.returncode, 1, (name, p.stderr))
            self.assertRegex(p.stderr, r"^loadc report: .*" + msg, name)
            self.assertEqual(p.stdout, "", name)
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.json")), name)
        p = self.report(os.path.join(self.tmp, "missing.json"))
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("cannot open", p.stderr)
        # the other reports, re-rendered from the result
        html, junit = os.path.join(self.tmp, "re", "r.html"), os.path.join(self.tmp, "re", "j.xml")
        prefix = os.path.join(self.tmp, "re", "r")
        p = self.report(path, "--html", html, "--csv", prefix, "--junit", junit, "-q")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(html) as f:
            self.assertIn("<svg", f.read())
        with open(junit) as f:
            self.assertIn("<testsuites", f.read())
        with open(prefix + "_stats.csv") as f:
            self.assertTrue(f.readline().startswith("Type,Name,Request Count,Failure Count,"))
        p = self.report()
        self.assertEqual(p.returncode, 2, p.stderr)

    def test_unwritable_path_stops_before_the_run(self):
        blocker = os.path.join(self.tmp, "file")
        with open(blocker, "w") as f:
            f.write("x")
        o = self.run_loadc(MIX, "-u", 2, "-r", 100, "-i", 20, "--json",
                           os.path.join(blocker, "r.json"))
        self.assertEqual(o.rc, 3, o)
        self.assertRegex(o.err, r"loadc run: --json: .*file")
        self.assertEqual(self.stats()["total"], 0)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["file", "scenario.yaml"])  # no temp file

    def test_scenario_output_and_command_line_precedence(self):
        from_scenario = os.path.join(self.tmp, "s", "r.json")
        scen = MIX.rstrip() + "\n    output: {json: %s}\n" % json.dumps(from_scenario)
        o = self.run_loadc(scen, "-u", 1, "-r", 100, "-i", 10, "-q")
        self.assertEqual(o.rc, 1, o)
        self.assertEqual(self.load(from_scenario)["aggregated"]["num_requests"],
                         self.stats()["total"])
        os.remove(from_scenario)
        given = os.path.join(self.tmp, "cli.json")
        o = self.run_loadc(scen, "-u", 1, "-r", 100, "-i", 10, "-q", "--json", given)
        self.assertTrue(os.path.exists(given), o)
        self.assertFalse(os.path.exists(from_scenario), o)

    def test_written_after_an_interrupt(self):
        path = os.path.join(self.tmp, "r.json")
        p = self.start_loadc("""
            users:
              U:
                wait: {constant: 50ms}
                tasks: [{get: /json}]
            """, "-u", 2, "-r", 100, "-t", "60s", "-s", "5s", "--only-summary", "--json", path)
        self.wait_server(lambda s: s["total"] >= 4, "4 requests")
        self.assertIsNone(p.poll(), "loadc ended before the signal")
        p.send_signal(signal.SIGINT)
        o = self.finish(p, 15)
        self.assertEqual(o.rc, 0, o)
        doc = self.load(path)
        self.assertEqual(doc["run"]["end_reason"], "interrupted")
        self.assertEqual(doc["aggregated"]["num_requests"], self.stats()["total"])
        self.assertEqual(doc["aggregated"]["num_requests"], o.total[0])


if __name__ == "__main__":
    unittest.main()
