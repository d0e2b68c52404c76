"""test_open_model.py: end-to-end tests of the open model and of latency from the intended start
(issue 7), against `loadc serve` on 127.0.0.1.

- Arrivals at 20/s for 3 s: the server sees exactly the 60 scheduled arrivals' requests, and the
  console's "Arrivals:" line and the JSON result say 60 scheduled, 60 started, 0 dropped.
- A slow endpoint (/delay/500) with max_users 2: arrivals that find both users busy are dropped
  and counted (started + dropped == 60, the server saw `started` requests), a `p95_intended`
  threshold is measured and passes, and the JSON result holds the arrivals and the intended
  histograms.
- A paced closed model (constant_pacing 20ms) whose 10th task run stalls once for 1 s: the
  plain p99 stays low, the p99 from the intended start shows the stall (HdrHistogram's
  correction adds the samples the missed iterations would have seen).
Only counts and coarse bounds (hundreds of ms) are asserted, never a measured time.

Run: LOADC=/path/to/loadc /usr/bin/python3 -m unittest -v test_open_model   (from tests/e2e)
"""

import json
import os
import re
import unittest

from test_run import RunCase

ARRIVALS_RE = re.compile(r"(?m)^Arrivals: (\d+) scheduled, (\d+) started, (\d+) dropped "
                         r"\(max_users (\d+)\), (\d+) late by more than 1 ms")
INTENDED_TITLE = "Response time percentiles from the intended start"


def arrival_scenario(max_users, path, thresholds=""):
    return """
        load:
          arrival:
            max_users: %d
            stages: [{duration: 3s, rate: 20}]
        users:
          U:
            tasks: [{get: %s}]
        %s
        """ % (max_users, path, thresholds)


class OpenModel(RunCase):

    def run_json(self, scenario, *args):
        path = os.path.join(self.tmp, "result.json")
        o = self.run_loadc(scenario, *args, "--json", path, "--only-summary")
        with open(path) as f:
            return o, json.load(f)

    def arrivals(self, o):
        m = ARRIVALS_RE.search(o.out)
        self.assertIsNotNone(m, o)
        return tuple(int(g) for g in m.groups())

    def test_every_scheduled_arrival_reaches_the_server(self):
        o, doc = self.run_json(arrival_scenario(10, "/json"), "--stop-timeout", "5s")
        self.assertEqual(o.rc, 0, o)
        s = self.stats()
        self.assertEqual(s["total"], 60)
        self.assertEqual(s["requests"], {"GET /json": 60})
        scheduled, started, dropped, max_users, _late = self.arrivals(o)
        self.assertEqual((scheduled, started, dropped, max_users), (60, 60, 0, 10), o)
        self.assert_counts_match(o, s)
        self.assertTrue(doc["open_model"])
        a = doc["arrivals"]
        self.assertEqual((a["scheduled"], a["started"], a["dropped"], a["max_users"]),
                         (60, 60, 0, 10))
        # one sample from the intended start per request (arrivals are not corrected)
        self.assertEqual(doc["aggregated"]["intended"]["count"], 60)
        self.assertEqual(doc["entries"][0]["intended"]["histogram"]["count"], 60)
        self.assertIn(INTENDED_TITLE, o.out)

    def test_busy_users_drop_arrivals_and_intended_threshold_passes(self):
        o, doc = self.run_json(arrival_scenario(2, "/delay/500",
                                                "thresholds: ['p95_intended < 10s']"),
                               "--stop-timeout", "5s")
        self.assertEqual(o.rc, 0, o)
        s = self.stats()
        scheduled, started, dropped, max_users, _late = self.arrivals(o)
        self.assertEqual((scheduled, max_users), (60, 2), o)
        self.assertEqual(started + dropped, 60, o)
        # two users answering in 500 ms each cannot take 20 arrivals a second
        self.assertGreater(dropped, 0, o)
        self.assertGreater(started, 0, o)
        self.assertEqual(s["total"], started)
        self.assertEqual(s["requests"], {"GET /delay/500": started})
        self.assertRegex(o.out, r"(?m)^PASS  p95_intended < 10s +measured \S+ ms +"
                                r"limit < 10000 ms$")
        a = doc["arrivals"]
        self.assertEqual((a["scheduled"], a["started"], a["dropped"]), (60, started, dropped))
        agg = doc["aggregated"]
        self.assertEqual(agg["num_requests"], started)
        self.assertEqual(agg["intended"]["count"], started)
        self.assertEqual([e["name"] for e in doc["entries"]], ["/delay/500"])
        self.assertEqual(doc["entries"][0]["intended"]["count"], started)
        # an arrival's time from its intended start is at least its response time
        self.assertGreaterEqual(agg["intended"]["min_ms"], agg["min_ms"])
        th = doc["thresholds"]
        self.assertEqual(len(th), 1)
        self.assertEqual(th[0]["metric"], "p95_intended")
        self.assertTrue(th[0]["passed"])
        self.assertFalse(th[0]["skipped"])
        self.assertIsNone(th[0]["note"])
        self.assertIsNotNone(th[0]["measured"])

    def test_paced_user_stall_shows_from_the_intended_start(self):
        o, doc = self.run_json("""
            users:
              U:
                wait: {constant_pacing: 20ms}
                tasks:
                  - steps:
                      - if: "iteration() == 10"
                        then: [{get: /delay/1000}]
                        else: [{get: /json}]
            """, "-u", 1, "-r", 1, "-t", "4s", "--stop-timeout", "5s")
        self.assertEqual(o.rc, 0, o)
        s = self.stats()
        self.assertEqual(s["requests"].get("GET /delay/1000"), 1, s)
        self.assertGreater(s["requests"].get("GET /json", 0), 100, s)
        self.assert_counts_match(o, s)
        self.assertNotIn("Arrivals:", o.out)
        self.assertFalse(doc["open_model"])
        self.assertIsNone(doc["arrivals"])
        agg = doc["aggregated"]
        # one slow request among more than 100: the plain p99 is a fast one
        self.assertLess(agg["percentiles_ms"]["99%"], 500)
        self.assertGreaterEqual(agg["max_ms"], 500)
        # the 1 s stall missed about 49 iterations of 20 ms: their samples (20..980 ms) count
        intended = agg["intended"]
        self.assertGreater(intended["count"], agg["num_requests"])
        self.assertGreaterEqual(intended["percentiles_ms"]["99%"], 500)
        self.assertIn(INTENDED_TITLE, o.out)
        # the console's table says the same
        m = re.search(r"(?m)^%s.*\n.*\n((?:.+\n)+)" % re.escape(INTENDED_TITLE), o.out)
        self.assertIsNotNone(m, o)
        agg_row = [l for l in m.group(1).splitlines() if l.split()[0] == "Aggregated"]
        self.assertEqual(len(agg_row), 1, o)
        cols = agg_row[0].split()
        self.assertGreaterEqual(float(cols[8]), 500, o)  # Aggregated 50% 66% ... 99% is cols[8]


if __name__ == "__main__":
    unittest.main()
