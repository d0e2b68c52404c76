"""test_reports_agree.py: one run writes every output (console summary, CSV, JSON, HTML, JUnit)
and they must agree (issue 6): the same entries, the same request and failure counts, and the same
11 percentiles per entry, all equal to the JSON result's (which carries the histogram itself: its
percentiles are recomputed here from the stored buckets with Locust's rank rule). The console and
HTML show one decimal, the CSV three: each is compared with the exact value rounded the same way.
The run ends with --iterations, so the server's /__stats count is exact too.

Run: LOADC=/path/to/loadc /usr/bin/python3 -m unittest -v test_reports_agree   (from tests/e2e)
"""

import csv
import html.parser
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

from harness import Server, find_loadc

LOADC = find_loadc()
LABELS = ["50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"]
SCENARIO = """\
version: 1
name: agree
users:
  U:
    tasks:
      - get: /json
        weight: 2
      - get: /delay/3
        name: /delay/[ms]
      - get: /status/404
thresholds:
  - p95 < 10s
  - error_rate < 50%
"""


class Cells(html.parser.HTMLParser):
    """The rows of every <table> with a class, as lists of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables, self.cls, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.cls = a.get("class")
            self.tables.setdefault(self.cls, [])
        elif tag == "tr" and self.cls:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.cls].append(self.row)
            self.row = None
        elif tag == "table":
            self.cls = None


def bucket_hi(lo):
    """The highest value of the bucket starting at lo (engine/hist.h's layout: one bucket per
    value below 256, then 128 per power of two)."""
    if lo < 256:
        return lo
    return lo + (1 << (lo.bit_length() - 1)) // 128 - 1


def rank_value(buckets, count, mn, mx, p):
    """The histogram's percentile as loadc computes it: the sample of rank min(floor(N*p), N-1),
    the midpoint of its bucket's range cut to [min, max]; rank 0 is min and rank N-1 max."""
    rank = min(int(count * p), count - 1)
    if rank == 0:
        return mn
    if rank == count - 1:
        return mx
    seen = 0
    for lo, hi, n in buckets:
        seen += n
        if seen > rank:
            lo, hi = max(lo, mn), min(hi, mx)
            return lo + (hi - lo) // 2
    return mx


class AgreeCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.tmp = tempfile.mkdtemp(prefix="loadc-agree-")
        path = os.path.join(cls.tmp, "s.yaml")
        with open(path, "w") as f:
            f.write(SCENARIO)
        cls.out = os.path.join(cls.tmp, "out")
        cmd = [LOADC, "run", path, "-H", cls.server.url, "-u", "4", "-r", "20", "-i", "200",
               "--csv", os.path.join(cls.out, "r"), "--json", os.path.join(cls.out, "r.json"),
               "--html", os.path.join(cls.out, "r.html"), "--junit", os.path.join(cls.out, "r.xml")]
        cls.proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                                  stdin=subprocess.DEVNULL)
        with open(os.path.join(cls.out, "r.json")) as f:
            cls.doc = json.load(f)
        cls.server_total = cls.server.stats()["total"]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.tmp, True)

    def entries(self):
        """{(method, name): entry} from the JSON, Aggregated under ("", "Aggregated")."""
        d = {(e["method"], e["name"]): e for e in self.doc["entries"]}
        d[("", "Aggregated")] = self.doc["aggregated"]
        return d

    def test_run_passed(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(self.doc["aggregated"]["num_requests"], self.server_total)

    def test_json_percentiles_are_the_histogram(self):
        for key, e in self.entries().items():
            h = e["histogram"]
            buckets = [(b[0], bucket_hi(b[0]), b[1]) for b in h["buckets"]]
            for label in LABELS:
                p = float(label[:-1]) / 100
                want = rank_value(buckets, h["count"], h["min_us"], h["max_us"], p) / 1000
                self.assertAlmostEqual(e["percentiles_ms"][label], want, places=3, msg=(key, label))

    def test_console_agrees(self):
        out = self.proc.stdout
        part = out[out.index("Response time percentiles"):]
        rows = {}
        for line in part.splitlines()[2:]:
            if not line.strip() or not re.match(r"^(GET|POST|\s)", line):
                break
            cols = line.split()
            if cols[0] == "Aggregated":
                rows[("", "Aggregated")] = cols[1:12]
            else:
                rows[(cols[0], cols[1])] = cols[2:13]
        ents = self.entries()
        self.assertEqual(set(rows), set(ents))
        for key, vals in rows.items():
            for label, v in zip(LABELS, vals):
                self.assertEqual(v, "%.1f" % ents[key]["percentiles_ms"][label], (key, label))

    def test_csv_agrees(self):
        with open(os.path.join(self.out, "r_stats.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        ents = self.entries()
        self.assertEqual({(r["Type"], r["Name"]) for r in rows}, set(ents))
        for r in rows:
            e = ents[(r["Type"], r["Name"])]
            self.assertEqual(int(r["Request Count"]), e["num_requests"])
            self.assertEqual(int(r["Failure Count"]), e["num_failures"])
            for label in LABELS:
                self.assertAlmostEqual(float(r[label]), e["percentiles_ms"][label], places=3,
                                       msg=(r["Name"], label))

    def test_html_agrees(self):
        p = Cells()
        with open(os.path.join(self.out, "r.html")) as f:
            p.feed(f.read())
        rows = [r for r in p.tables["percentiles"] if r and r[0] != "Type"]
        ents = self.entries()
        self.assertEqual({(r[0], r[1]) for r in rows}, set(ents))
        for r in rows:
            e = ents[(r[0], r[1])]
            for label, v in zip(LABELS, r[2:13]):
                self.assertEqual(v, "%.1f" % e["percentiles_ms"][label], (r[1], label))

    def test_junit_agrees(self):
        root = ET.parse(os.path.join(self.out, "r.xml")).getroot()
        cases = [c.get("name") for c in root.iter("testcase")]
        self.assertIn("p95 < 10s", cases)
        self.assertIn("error_rate < 50%", cases)
        self.assertEqual(len([c for c in root.iter("failure")]), 1)  # the 404 check group only
        statuses = {t["source"]: t["passed"] for t in self.doc["thresholds"]}
        self.assertEqual(statuses, {"p95 < 10s": True, "error_rate < 50%": True})


if __name__ == "__main__":
    unittest.main()
