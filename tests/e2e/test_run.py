"""test_run.py: end-to-end tests of `loadc run` (the engine, issue 4) against `loadc serve`.

Each test writes its scenario to a temporary directory and runs the real binary (env LOADC) with
a bounded timeout against one `loadc serve --port 0` on 127.0.0.1 per class, reset before every
test. The tests assert on counts only: what the server saw (/__stats `requests`, `targets`,
`statuses`) and what loadc printed (its summary table, error report, single-user lines, exit
code). They never assert on a measured time. Where time decides what happens (run_time, stages,
the wait that separates `reschedule: false` from `true`), the margins are whole seconds against
loopback requests that take a fraction of a millisecond.

Exact server == loadc counts need runs in which no request is cut off mid-flight. With Locust's
default stop_timeout 0 a stop kills users even mid-request: the server then counts a request
that loadc (rightly) never records. Exact comparisons therefore end with --iterations (a user
stops when it would start a task beyond the limit, i.e. only after its previous task finished)
or with a stop_timeout longer than any task (running users finish their task and stop at their
next wait).

Events inside users (on_start, on_stop, the steps of a sequence) are made visible as distinct
targets of /echo, e.g. `/echo?ev=start&u={{ user_id() }}`, which the server counts one by one in
`targets`. Where order matters and counts alone cannot show it, a step carries state in its
target (a variable set by the previous hook, or `iteration()`), or reads the server's /__stats
(which the server does not count) and sends what it saw.

--iterations follows locust-plugins (the origin of Locust's -i): every task run counts, an
`interrupt` task too, but entering a nested taskset or sequence does not (plugins count only
function tasks); when the limit is reached, a user stops at its next pick, whatever it would
have picked.

Run: LOADC=/path/to/loadc /usr/bin/python3 -m unittest -v test_run   (from tests/e2e)
"""

import collections
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import textwrap
import time
import unittest
import urllib.parse

from harness import Server, find_loadc

LOADC = find_loadc()
RUN_TIMEOUT = 30.0  # seconds: the bound on any one loadc run (they take a few seconds at most)
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                   "runtime error:", "ThreadSanitizer")


# ---------------------------------------------------------------------------------------------
# loadc's output


class Output:
    """One finished `loadc run`: exit code, stdout, stderr and the parsed summary.

    rows: {(method, name): (requests, failures)} from the statistics table (names as printed,
    at most 40 characters); total: the Aggregated (requests, failures) or None;
    errors: [(occurrences, method, "NAME: MESSAGE")] from the error report;
    user_errors: [(occurrences, message)] from "Errors inside users"."""

    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err
        self.rows, self.total = parse_table(out)
        self.errors = parse_section(out, "Error report", r"(\d+)\s+(\S+) (.*)")
        self.user_errors = parse_section(out, "Errors inside users", r"(\d+)\s+(.*)")

    def requests(self, method, name):
        return self.rows.get((method, name), (0, 0))[0]

    def __repr__(self):
        return "<loadc rc=%r\n--- stdout\n%s--- stderr\n%s>" % (self.rc, self.out, self.err[-3000:])


def parse_table(out):
    """The first table of report/console.c: `%-8s %-40.40s %8u %14s | ...` rows."""
    lines = out.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith("Type     Name")), None)
    if start is None:
        return {}, None
    rows, total = {}, None
    for line in lines[start + 1:]:
        if not line.strip():
            break
        if line.startswith("--------|"):
            continue
        kind, name = line[0:8].strip(), line[9:49].rstrip()
        m = re.match(r"\s*(\d+)\s+(\d+)\(\d+\.\d\d%\) \|", line[49:])
        if not m:
            raise AssertionError("unparsable summary row %r" % line)
        counts = (int(m.group(1)), int(m.group(2)))
        if kind == "" and name.strip() == "Aggregated":
            total = counts
        else:
            rows[(kind, name)] = counts
    return rows, total


def parse_section(out, title, row_re):
    m = re.search(r"(?m)^%s\n# occurrences +\S+\n((?:.+\n?)*)" % re.escape(title), out)
    if not m:
        return []
    rows = []
    for line in m.group(1).splitlines():
        r = re.fullmatch(row_re, line)
        if not r:
            raise AssertionError("unparsable %s line %r" % (title, line))
        rows.append((int(r.group(1)),) + r.groups()[1:])
    return rows


# ---------------------------------------------------------------------------------------------
# What the server saw


def echo_targets(stats, method="GET"):
    """Counter of the query strings of every `METHOD /echo?...` target the server counted."""
    c = collections.Counter()
    prefix = method + " /echo?"
    for target, n in stats["targets"].items():
        if target.startswith(prefix):
            c[target[len(prefix):]] += n
    return dict(c)


def echo_events(stats, method="GET"):
    """[(args dict, count)] of every `/echo?...` target (query decoded)."""
    return [(dict(urllib.parse.parse_qsl(q, keep_blank_values=True)), n)
            for q, n in echo_targets(stats, method).items()]


def arg_values(stats, name, **match):
    """Counter of the values of query argument `name` over /echo targets whose other args
    equal `match`."""
    c = collections.Counter()
    for args, n in echo_events(stats):
        if name in args and all(args.get(k) == v for k, v in match.items()):
            c[args[name]] += n
    return dict(c)


def kl_dispatch(weights, n):
    """Per-class counts of the first n weighted users in Locust's current order
    (locust-behaviour.md section 4): next = argmin w*log2((w+k)/(w+k+1)), ties to smaller w+k,
    then smaller w, then name."""
    counts = {c: 0 for c in weights}
    for _ in range(n):
        best = min(weights, key=lambda c: (weights[c] * math.log2((weights[c] + counts[c]) /
                                                                  (weights[c] + counts[c] + 1)),
                                           weights[c] + counts[c], weights[c], c))
        counts[best] += 1
    return counts


# ---------------------------------------------------------------------------------------------
# The base class


class RunCase(unittest.TestCase):
    """One `loadc serve` per class; each test gets a reset server and a temporary directory."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="loadc-run-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.server.reset()

    def tearDown(self):
        self.assertTrue(self.server.alive(), "loadc serve died; stderr: %r"
                        % self.server.stderr_text()[-2000:])

    def scenario(self, text, name="scenario.yaml"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text).lstrip("\n"))
        return path

    def args(self, scenario, args, host):
        path = scenario if os.path.isfile(scenario) else self.scenario(scenario)
        cmd = [LOADC, "run", path] + [str(a) for a in args]
        if os.environ.get("LC_E2E_CLIENT"):  # e2e_run_curl: the same tests on the other client
            cmd += ["--client", os.environ["LC_E2E_CLIENT"]]
        if host:
            cmd += ["-H", self.server.url]
        return cmd

    def assert_no_sanitizer_report(self, err):
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, err, "sanitizer report on stderr:\n" + err[-6000:])

    def run_loadc(self, scenario, *args, host=True, timeout=RUN_TIMEOUT):
        """Runs `loadc run SCENARIO ARGS -H server` to its end (bounded); returns Output."""
        cmd = self.args(scenario, args, host)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise AssertionError("loadc did not end within %.0fs: %s\nstdout: %s\nstderr: %s"
                                 % (timeout, " ".join(cmd), e.stdout, e.stderr))
        self.assert_no_sanitizer_report(p.stderr)
        return Output(p.returncode, p.stdout, p.stderr)

    def start_loadc(self, scenario, *args):
        """Starts loadc in the background (for signal tests); finish it with finish()."""
        proc = subprocess.Popen(self.args(scenario, args, True), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def cleanup():
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=10)
        self.addCleanup(cleanup)
        return proc

    def finish(self, proc, timeout):
        """Waits (bounded) for a background loadc; returns Output."""
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate(timeout=10)
            raise AssertionError("loadc did not exit within %.1fs\nstdout: %s\nstderr: %s"
                                 % (timeout, out, err))
        self.assert_no_sanitizer_report(err)
        return Output(proc.returncode, out, err)

    def wait_server(self, pred, what, timeout=10.0):
        """Polls /__stats until pred(stats) holds (bounded); returns the stats."""
        s = self.server.wait_stats(pred, timeout=timeout)
        if not pred(s):
            raise AssertionError("the server never saw %s within %.0fs: %r" % (what, timeout, s))
        return s

    def stats(self):
        return self.server.stats()

    def assert_counts_match(self, o, s):
        """loadc's rows (named by their server path) equal the server's `requests` exactly."""
        mine = {"%s %s" % k: v[0] for k, v in o.rows.items()}
        self.assertEqual(mine, s["requests"], o)
        self.assertEqual(o.total[0], s["total"], o)


# ---------------------------------------------------------------------------------------------


class ExactCounts(RunCase):
    """What loadc counts is exactly what the server received, when nothing is cut off."""

    MIX = """
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
                  - get: "/echo?u={{ user_id() }}"
                    name: /echo
        """

    def test_iterations_end_with_exact_counts(self):
        o = self.run_loadc(self.MIX, "-u", 5, "-r", 100, "-i", 400, "--threads", 2,
                           "--only-summary")
        s = self.stats()
        self.assertEqual(o.rc, 1, o)  # 404 and 500 fail (Locust's default rule)
        self.assert_counts_match(o, s)
        self.assertEqual(o.total[1], s["statuses"].get("404", 0) + s["statuses"].get("500", 0))
        # each task run is one of: /json, /status/404, POST /echo, or the steps starting /bytes
        runs = sum(s["requests"].get(k, 0) for k in
                   ("GET /json", "GET /status/404", "POST /echo", "GET /bytes/100"))
        self.assertEqual(runs, 400, s)
        self.assertEqual(s["requests"]["GET /bytes/100"], s["requests"]["GET /status/500"])
        self.assertEqual(s["requests"]["GET /bytes/100"], s["requests"]["GET /echo"])
        self.assertIn((s["statuses"]["404"], "GET", "/status/404: HTTPError 404 for /status/404"),
                      o.errors)
        self.assertIn((s["statuses"]["500"], "GET", "/status/500: HTTPError 500 for /status/500"),
                      o.errors)

    def test_stop_timeout_lets_running_tasks_finish(self):
        # -t stops the users at 1 s; the stop timeout (5 s) is far longer than a task (~20 ms),
        # so every task that started finishes and is recorded
        o = self.run_loadc("""
            users:
              Slow:
                tasks:
                  - get: /delay/20
                  - steps:
                      - get: /json
                      - get: /delay/10
            """, "-u", 4, "-r", 100, "-t", "1s", "-s", "5s", "--only-summary")
        s = self.stats()
        self.assertEqual(o.rc, 0, o)
        self.assertGreater(s["total"], 8, s)
        self.assert_counts_match(o, s)
        self.assertEqual(s["requests"]["GET /json"], s["requests"]["GET /delay/10"], s)

    def test_many_users_on_two_threads(self):
        o = self.run_loadc("""
            users:
              A:
                weight: 2
                on_start:
                  - get: "/echo?ev=start&u={{ user_id() }}"
                    name: /echo
                tasks:
                  - get: /json
                    weight: 2
                  - get: /bytes/64
              B:
                on_start:
                  - get: "/echo?ev=start&u={{ user_id() }}"
                    name: /echo
                tasks:
                  - get: /status/204
            """, "-u", 60, "-r", 1000, "-i", 3000, "--threads", 2, "--only-summary")
        s = self.stats()
        self.assertEqual(o.rc, 0, o)
        self.assert_counts_match(o, s)
        self.assertEqual(len(arg_values(s, "u", ev="start")), 60)
        self.assertEqual(s["requests"]["GET /echo"], 60)
        self.assertEqual(sum(s["requests"].get(k, 0) for k in
                             ("GET /json", "GET /bytes/64", "GET /status/204")), 3000)


class Weights(RunCase):
    """Weighted picks and Locust's dispatcher, observed through the server's counts."""

    def test_task_weights_follow_the_binomial_distribution(self):
        n = 2000
        p = 15 / 16
        mean, sd = n * p, math.sqrt(n * p * (1 - p))
        for seed in (1, 20260101):
            self.server.reset()
            o = self.run_loadc("""
                users:
                  U:
                    tasks:
                      - get: /echo?t=heavy
                        weight: 15
                      - get: /echo?t=light
                      - get: /echo?t=never
                        weight: 0
                """, "-i", n, "--seed", seed, "--threads", 1, "--only-summary")
            self.assertEqual(o.rc, 0, o)
            c = echo_targets(self.stats())
            self.assertEqual(c["t=heavy"] + c["t=light"], n, c)
            self.assertNotIn("t=never", c)
            # mean +- 5 standard deviations of Binomial(2000, 15/16): 1875 +- 54
            self.assertLessEqual(abs(c["t=heavy"] - mean), 5 * sd,
                                 "seed %d: heavy %d, expected %.0f +- %.0f" %
                                 (seed, c["t=heavy"], mean, 5 * sd))

    def class_counts(self, scenario, *args):
        o = self.run_loadc(scenario, *args, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        s = self.stats()
        users = collections.defaultdict(set)
        for a, _ in echo_events(s):
            if a.get("ev") == "start":
                users[a["class"]].add(a["u"])
        return {c: len(u) for c, u in users.items()}, s

    CLASSES = """
        users:
          {a}:
            {a_key}
            on_start: [{{get: "/echo?ev=start&class={a}&u={{{{ user_id() }}}}", name: start}}]
            tasks: [{{get: /json}}]
          {b}:
            {b_key}
            on_start: [{{get: "/echo?ev=start&class={b}&u={{{{ user_id() }}}}", name: start}}]
            tasks: [{{get: /json}}]
        """

    def test_class_weights_follow_locusts_dispatch(self):
        text = self.CLASSES.format(a="Heavy", a_key="weight: 3", b="Light", b_key="weight: 1")
        for users in (8, 7, 2):
            self.server.reset()
            got, _ = self.class_counts(text, "-u", users, "-r", 1000, "-i", users)
            want = kl_dispatch({"Heavy": 3, "Light": 1}, users)
            self.assertEqual(got, {k: v for k, v in want.items() if v}, "%d users" % users)
        self.assertEqual(kl_dispatch({"Heavy": 3, "Light": 1}, 8), {"Heavy": 6, "Light": 2})

    def test_fixed_count_users_come_first_and_exactly(self):
        text = self.CLASSES.format(a="Monitor", a_key="fixed_count: 2", b="Visitor",
                                   b_key="weight: 1")
        got, _ = self.class_counts(text, "-u", 5, "-r", 1000, "-i", 5)
        self.assertEqual(got, {"Monitor": 2, "Visitor": 3})
        # fewer users than the fixed ones: only fixed users
        self.server.reset()
        got, _ = self.class_counts(text, "-u", 1, "-r", 1000, "-i", 1)
        self.assertEqual(got, {"Monitor": 1})

    def test_only_fixed_classes_stop_at_their_sum(self):
        # Locust: every class fixed and the target above the sum: stops at the sum
        text = self.CLASSES.format(a="One", a_key="fixed_count: 1", b="Two", b_key="fixed_count: 2")
        got, _ = self.class_counts(text, "-u", 10, "-r", 1000, "-i", 6)
        self.assertEqual(got, {"One": 1, "Two": 2})


class Sequences(RunCase):
    """SequentialTaskSet: in order, wrapping, weight n = n runs in a row, fresh on each entry."""

    def test_sequence_runs_in_order_and_wraps(self):
        o = self.run_loadc("""
            users:
              U:
                tasks:
                  - sequence:
                      - get: "/echo?step=a&it={{ iteration() }}"
                        name: a
                      - get: "/echo?step=b&it={{ iteration() }}"
                        name: b
                      - get: "/echo?step=c&it={{ iteration() }}"
                        name: c
            """, "-i", 7, "--threads", 1, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        s = self.stats()
        # 7 task runs (entering the sequence is none): a,b,c,a,b,c,a gives a:3 b:2 c:2
        self.assertEqual(arg_values(s, "step"), {"a": 3, "b": 2, "c": 2})
        self.assertEqual((o.requests("GET", "a"), o.requests("GET", "b"), o.requests("GET", "c")),
                         (3, 2, 2))
        # iteration() numbers each task run: sorted by it, the steps read a b c a b c a
        events = sorted((int(a["it"]), a["step"]) for a, n in echo_events(s) for _ in range(n))
        self.assertEqual("".join(step for _, step in events), "abcabca", events)
        its = [it for it, _ in events]
        self.assertEqual(its, list(range(its[0], its[0] + 7)), events)

    def test_weight_in_a_sequence_repeats_the_task(self):
        o = self.run_loadc("""
            users:
              U:
                tasks:
                  - sequence:
                      - get: "/echo?step=a&it={{ iteration() }}"
                        weight: 2
                      - get: "/echo?step=b&it={{ iteration() }}"
                      - get: "/echo?step=c&it={{ iteration() }}"
                        weight: 3
            """, "-i", 9, "--threads", 1, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        s = self.stats()
        events = sorted((int(a["it"]), a["step"]) for a, n in echo_events(s) for _ in range(n))
        self.assertEqual("".join(step for _, step in events), "aabcccaab", events)

    def test_each_entry_starts_from_the_first_task(self):
        # a, b, interrupt; the parent enters a fresh sequence each time: a b a b a b ...
        o = self.run_loadc("""
            users:
              U:
                tasks:
                  - sequence:
                      - get: /echo?step=a
                      - get: /echo?step=b
                      - interrupt: true
                      - get: /echo?step=never
            """, "-i", 8, "--threads", 1, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        # 8 task runs: a b int a b int a b
        self.assertEqual(arg_values(self.stats(), "step"), {"a": 3, "b": 3})


class TaskSets(RunCase):
    """Nested tasksets: interrupt, on_start on each entry, on_stop on interrupt, hook order."""

    def test_interrupt_runs_on_stop_and_each_entry_runs_on_start(self):
        o = self.run_loadc("""
            users:
              U:
                on_stop: [{get: /echo?ev=user_stop}]
                tasks:
                  - sequence:
                      on_start: [{get: /echo?ev=ts_start}]
                      on_stop: [{get: /echo?ev=ts_stop}]
                      tasks:
                        - get: /echo?ev=inner
                        - interrupt: true
            """, "-i", 6, "--threads", 1, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        # 6 task runs: inner, interrupt (x3); each entry runs on_start, each interrupt on_stop;
        # then the user stops at the root (no taskset entered): only the user's on_stop
        self.assertEqual(arg_values(self.stats(), "ev"),
                         {"ts_start": 3, "inner": 3, "ts_stop": 3, "user_stop": 1})

    def test_stop_inside_a_taskset_runs_its_on_stop_then_the_users(self):
        o = self.run_loadc("""
            users:
              U:
                on_stop: [{get: /echo?ev=user_stop}]
                tasks:
                  - sequence:
                      on_start: [{get: /echo?ev=ts_start}]
                      on_stop: [{get: /echo?ev=ts_stop}]
                      tasks:
                        - get: /echo?ev=inner
                        - interrupt: true
            """, "-i", 5, "--threads", 1, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        # inner int inner int inner, then the stop: the taskset's on_stop, then the user's
        self.assertEqual(arg_values(self.stats(), "ev"),
                         {"ts_start": 3, "inner": 3, "ts_stop": 3, "user_stop": 1})

    def test_interrupt_with_reschedule_picks_at_once(self):
        # the user waits 30 s after each of its own tasks; the sequence does not wait. With
        # reschedule (the default) the parent picks again at once, so 6 runs end the run early.
        o = self.run_loadc("""
            users:
              U:
                wait: {constant: 30s}
                tasks:
                  - sequence:
                      wait: {constant: 0s}
                      tasks:
                        - get: /echo?ev=inner
                        - interrupt: {reschedule: true}
            """, "-i", 6, "-t", "20s", "--threads", 1, "--only-summary", timeout=15)
        self.assertEqual(o.rc, 0, o)
        self.assertEqual(arg_values(self.stats(), "ev"), {"inner": 3})

    def test_interrupt_without_reschedule_waits_first(self):
        # the same with reschedule false: after the first interrupt the parent waits its 30 s,
        # and the run ends after 1.5 s: exactly one pass
        o = self.run_loadc("""
            users:
              U:
                wait: {constant: 30s}
                tasks:
                  - sequence:
                      wait: {constant: 0s}
                      tasks:
                        - get: /echo?ev=inner
                        - interrupt: {reschedule: false}
            """, "-i", 6, "-t", "1500ms", "--threads", 1, "--only-summary", timeout=15)
        self.assertEqual(o.rc, 0, o)
        self.assertEqual(arg_values(self.stats(), "ev"), {"inner": 1})

    def test_interrupt_from_on_start_skips_on_stop(self):
        o = self.run_loadc("""
            users:
              U:
                tasks:
                  - sequence:
                      on_start:
                        - get: /echo?ev=ts_start
                        - interrupt: true
                        - get: /echo?ev=never
                      on_stop: [{get: /echo?ev=ts_stop}]
                      tasks:
                        - get: /echo?ev=inner
                  - get: /echo?ev=outer
                    weight: 0
                  - name: count
                    steps: [{get: /echo?ev=root}]
            """, "-i", 4, "--seed", 3, "--threads", 1, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        ev = arg_values(self.stats(), "ev")
        # the sequence never runs a task and never its on_stop; only root tasks count
        self.assertEqual(ev["root"], 4, ev)
        self.assertGreater(ev["ts_start"], 0, ev)
        for k in ("never", "ts_stop", "inner", "outer"):
            self.assertNotIn(k, ev)

    def test_hooks_run_in_locusts_order(self):
        # start: the user's on_start, then each taskset's as it is entered; stop: innermost
        # on_stop first, outward, then the user's. Each hook sends the mark the previous one
        # left, so the targets show the order.
        o = self.run_loadc("""
            users:
              U:
                on_start:
                  - get: /echo?ev=user_start
                  - set: {mark: user_start}
                on_stop:
                  - get: "/echo?ev=user_stop&prev={{ mark }}"
                tasks:
                  - sequence:
                      on_start:
                        - get: "/echo?ev=outer_start&prev={{ mark }}"
                        - set: {mark: outer_start}
                      on_stop:
                        - get: "/echo?ev=outer_stop&prev={{ mark }}"
                        - set: {mark: outer_stop}
                      tasks:
                        - sequence:
                            on_start:
                              - get: "/echo?ev=inner_start&prev={{ mark }}"
                              - set: {mark: inner_start}
                            on_stop:
                              - get: "/echo?ev=inner_stop&prev={{ mark }}"
                              - set: {mark: inner_stop}
                            tasks:
                              - steps:
                                  - get: "/echo?ev=task&prev={{ mark }}"
                                  - set: {mark: task}
            """, "-i", 2, "--threads", 1, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        self.assertEqual(echo_targets(self.stats()), {
            "ev=user_start": 1,
            "ev=outer_start&prev=user_start": 1,
            "ev=inner_start&prev=outer_start": 1,
            "ev=task&prev=inner_start": 1,
            "ev=task&prev=task": 1,
            "ev=inner_stop&prev=task": 1,
            "ev=outer_stop&prev=inner_stop": 1,
            "ev=user_stop&prev=outer_stop": 1,
        })

    def test_killed_user_runs_the_on_stop_chain(self):
        # run_time ends while the user waits inside a taskset: on_stop innermost first
        o = self.run_loadc("""
            users:
              U:
                on_start: [{set: {mark: start}}]
                on_stop: [{get: "/echo?ev=user_stop&prev={{ mark }}"}]
                tasks:
                  - taskset:
                      wait: {constant: 30s}
                      on_stop:
                        - get: "/echo?ev=ts_stop&prev={{ mark }}"
                        - set: {mark: ts_stop}
                      tasks:
                        - get: /echo?ev=inner
            """, "-t", "1s", "--threads", 1, "--only-summary", timeout=15)
        self.assertEqual(o.rc, 0, o)
        self.assertEqual(echo_targets(self.stats()),
                         {"ev=inner": 1, "ev=ts_stop&prev=start": 1,
                          "ev=user_stop&prev=ts_stop": 1})


class Steps(RunCase):
    """reschedule, stop_user, on_failure, checks and captures."""

    def test_reschedule_ends_the_task_and_the_wait_follows(self):
        o = self.run_loadc("""
            users:
              U:
                wait: {constant: 30s}
                tasks:
                  - steps:
                      - get: /echo?ev=a
                      - reschedule: true
                      - get: /echo?ev=never
            """, "-i", 5, "-t", "1500ms", "--threads", 1, "--only-summary", timeout=15)
        self.assertEqual(o.rc, 0, o)
        self.assertEqual(arg_values(self.stats(), "ev"), {"a": 1})

    def test_reschedule_immediately_skips_the_wait(self):
        o = self.run_loadc("""
            users:
              U:
                wait: {constant: 30s}
                tasks:
                  - steps:
                      - get: /echo?ev=a
                      - reschedule: {immediately: true}
                      - get: /echo?ev=never
            """, "-i", 5, "-t", "20s", "--threads", 1, "--only-summary", timeout=15)
        self.assertEqual(o.rc, 0, o)
        self.assertEqual(arg_values(self.stats(), "ev"), {"a": 5})

    def test_stop_user_runs_on_stop_and_is_not_replaced(self):
        # no run time, no iterations: the run ends by itself once every user stopped
        o = self.run_loadc("""
            users:
              U:
                on_start: [{get: "/echo?ev=start&u={{ user_id() }}"}]
                on_stop: [{get: "/echo?ev=stop&u={{ user_id() }}"}]
                tasks:
                  - steps:
                      - get: "/echo?ev=task&u={{ user_id() }}"
                      - stop_user: true
                      - get: /echo?ev=never
            """, "-u", 3, "-r", 100, "--only-summary", timeout=20)
        self.assertEqual(o.rc, 0, o)
        s = self.stats()
        self.assertEqual(len(arg_values(s, "u", ev="start")), 3)
        self.assertEqual(arg_values(s, "ev"), {"start": 3, "task": 3, "stop": 3})
        self.assertEqual(set(arg_values(s, "u", ev="stop")), set(arg_values(s, "u", ev="start")))

    def test_on_failure_end_task(self):
        o = self.run_loadc("""
            users:
              U:
                tasks:
                  - steps:
                      - get: /status/500
                        on_failure: end_task
                      - get: /echo?ev=after
            """, "-i", 3, "--threads", 1, "--only-summary")
        self.assertEqual(o.rc, 1, o)
        s = self.stats()
        self.assertEqual(s["requests"], {"GET /status/500": 3})
        self.assertEqual(o.rows, {("GET", "/status/500"): (3, 3)})
        self.assertEqual(o.errors, [(3, "GET", "/status/500: HTTPError 500 for /status/500")])

    def test_on_failure_stop_user(self):
        # a class-level default, overridden by one request
        o = self.run_loadc("""
            users:
              U:
                on_failure: stop_user
                on_stop: [{get: "/echo?ev=stop&u={{ user_id() }}"}]
                tasks:
                  - steps:
                      - get: /status/404
                        on_failure: continue
                      - get: /echo?ev=after_continue
                      - get: /status/503
                      - get: /echo?ev=never
            """, "-u", 2, "-r", 100, "--only-summary", timeout=20)
        self.assertEqual(o.rc, 1, o)
        s = self.stats()
        self.assertEqual(arg_values(s, "ev"), {"after_continue": 2, "stop": 2})
        self.assertEqual(s["requests"]["GET /status/503"], 2)
        self.assertEqual(s["requests"]["GET /status/404"], 2)

    def test_check_status_replaces_the_default_rule(self):
        o = self.run_loadc("""
            users:
              U:
                tasks:
                  - steps:
                      - get: /status/404
                        check: {status: 404}
                      - get: /status/200
                        check: {status: 201}
                      - get: /status/202
                        name: with message
                        check:
                          status: [200, 201]
                          message: "wanted 200 or 201, got {{ response.status }}"
                      - get: /json
                        check: {json: {"$.count": 4}}
                      - get: /echo?ev=end
            """, "-i", 4, "--threads", 1, "--only-summary")
        self.assertEqual(o.rc, 1, o)
        self.assertEqual(o.rows, {
            ("GET", "/status/404"): (4, 0),
            ("GET", "/status/200"): (4, 4),
            ("GET", "with message"): (4, 4),
            ("GET", "/json"): (4, 4),
            ("GET", "/echo?ev=end"): (4, 0),
        })
        self.assertEqual(sorted(o.errors), sorted([
            (4, "GET", "/status/200: check status: got 200, want 201"),
            (4, "GET", "with message: wanted 200 or 201, got 202"),
            (4, "GET", "/json: check json $.count: got 3, want eq 4"),
        ]))
        self.assertEqual(self.stats()["statuses"], {"404": 4, "200": 12, "202": 4})

    def test_capture_that_finds_nothing_ends_the_task(self):
        o = self.run_loadc("""
            users:
              U:
                tasks:
                  - steps:
                      - get: /json
                        name: with default
                        capture: {y: {json: $.missing, default: dflt}}
                      - get: "/echo?y={{ y }}"
                        name: /echo y
                      - get: /json
                        name: without default
                        capture: {x: {json: $.missing}}
                      - get: "/echo?x={{ x }}"
                        name: /echo x
            """, "-i", 3, "--threads", 1, "--only-summary")
        self.assertEqual(o.rc, 1, o)
        self.assertEqual(echo_targets(self.stats()), {"y=dflt": 3})
        self.assertEqual(o.rows, {("GET", "with default"): (3, 0), ("GET", "/echo y"): (3, 0),
                                  ("GET", "without default"): (3, 3)})
        self.assertEqual(o.errors, [(3, "GET", "without default: capture 'x': json $.missing "
                                               "found nothing")])


class BodyCap(RunCase):
    """Bodies are kept only for the checks and captures that read them, up to max_body."""

    def run_measured(self, scenario, *args):
        """Runs loadc like run_loadc; returns (Output, its peak resident set in KiB)."""
        cmd = self.args(scenario, args, True)
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            deadline = time.monotonic() + RUN_TIMEOUT
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    proc.kill()
                    os.wait4(proc.pid, 0)
                    raise AssertionError("loadc did not end within %.0fs" % RUN_TIMEOUT)
                time.sleep(0.05)
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            o = Output(proc.returncode, out.read(), err.read())
        self.assert_no_sanitizer_report(o.err)
        return o, usage.ru_maxrss

    def test_body_over_max_body_fails_only_when_it_is_needed(self):
        big = 11 * 1000 * 1000  # past the default max_body of 10 MB (10 MiB)
        o = self.run_loadc("""
            users:
              U:
                tasks:
                  - steps:
                      - get: /bytes/%d
                        name: big unread
                      - get: /bytes/%d
                        name: big checked
                        check: {body_contains: abc}
                      - get: /bytes/1024
                        name: at the cap
                        max_body: 1KB
                        check: {body_contains: abc}
                      - get: /bytes/1025
                        name: past the cap
                        max_body: 1KB
                        check: {body_contains: abc}
                      - get: /bytes/%d
                        name: big captured
                        capture: {x: {regex: '(abc)', default: none}}
                      - get: /echo?ev=after
            """ % (big, big, big), "-i", 2, "--threads", 1, "--only-summary", timeout=60)
        self.assertEqual(o.rc, 1, o)
        self.assertEqual(o.rows, {
            ("GET", "big unread"): (2, 0),
            ("GET", "big checked"): (2, 2),
            ("GET", "at the cap"): (2, 0),
            ("GET", "past the cap"): (2, 2),
            ("GET", "big captured"): (2, 2),
        }, o)
        self.assertEqual(sorted(o.errors), sorted([
            (2, "GET", "big checked: response body larger than max_body (10 MiB)"),
            (2, "GET", "past the cap: response body larger than max_body (1 KiB)"),
            (2, "GET", "big captured: response body larger than max_body (10 MiB)"),
        ]), o)
        # a capture that could not read the body ends the task, as one that found nothing
        s = self.stats()
        self.assertNotIn("GET /echo?ev=after", s["requests"])
        self.assertEqual(s["requests"]["GET /bytes/%d" % big], 6)

    def test_a_body_past_the_cap_is_not_held_in_memory(self):
        # The same 64 MB body read by a check (cut at max_body: 1 MB) and not read at all:
        # loadc's peak memory stays within a few MB of a run that fetches 100 bytes (a kept
        # body would add 64 MB). One request per run, so no allocator cache accumulates.
        text = """
            users:
              U:
                tasks:
                  - get: /bytes/%d
                    max_body: 1MB
                    %s
            """
        base, base_rss = self.run_measured(text % (100, "check: {body_contains: abc}"),
                                           "-i", 1, "--threads", 1, "--only-summary")
        self.assertEqual(base.rc, 0, base)
        big = 64 << 20
        checked, checked_rss = self.run_measured(text % (big, "check: {body_contains: abc}"),
                                                 "-i", 1, "--threads", 1, "--only-summary")
        self.assertEqual(checked.rc, 1, checked)
        self.assertEqual(checked.errors, [(1, "GET", "/bytes/%d: response body larger than "
                                                     "max_body (1 MiB)" % big)], checked)
        unread, unread_rss = self.run_measured(text % (big, ""), "-i", 1, "--threads", 1,
                                               "--only-summary")
        self.assertEqual(unread.rc, 0, unread)
        self.assertEqual(unread.rows, {("GET", "/bytes/%d" % big): (1, 0)}, unread)
        limit = base_rss + 16 * 1024  # KiB
        self.assertLess(checked_rss, limit, (base_rss, checked_rss))
        self.assertLess(unread_rss, limit, (base_rss, unread_rss))


class Sessions(RunCase):
    """Per-user sessions: cookies, tokens; setup and teardown."""

    def test_unique_feeder_rows_each_used_exactly_once(self):
        # issue 5: 1,000 accounts fed to 1,200 users with order: unique; each user sends its
        # row once in on_start and then stops; the server must see every row exactly once, and
        # the 200 users left without a row never start (on_exhausted: stop_user).
        accounts = os.path.join(self.tmp, "accounts.csv")
        with open(accounts, "w") as f:
            f.write("user,password\n")
            for i in range(1000):
                f.write('acct%04d,"p,w %d"\n' % (i, i))
        o = self.run_loadc('''
            data:
              accounts: {csv: accounts.csv, order: unique, on_exhausted: stop_user}
            users:
              U:
                on_start:
                  - get: "/echo?acct={{ data.accounts.user }}&pw={{ url_encode(data.accounts.password) }}"
                    name: /echo
                tasks:
                  - steps: [{stop_user: true}]
            ''', "-u", 1200, "-r", 1200, "--threads", 2, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        self.assertEqual(self.stats()["total"], 1000)
        seen = arg_values(self.stats(), "acct")
        self.assertEqual(len(seen), 1000)
        self.assertEqual(set(seen.values()), {1})
        self.assertEqual(set(seen), {"acct%04d" % i for i in range(1000)})
        pws = arg_values(self.stats(), "pw")
        self.assertIn("p,w 7", pws)  # a quoted field with a comma survives

    COOKIES = """
        users:
          U:
            on_start:
              - get: "/cookies/set?owner={{ user_id() }}"
                name: /cookies/set
            tasks:
              - steps:
                  - get: /cookies
                    check:
                      body_contains: '"owner"'
                      json: {"$.cookies.owner": {exists: true}}
                    capture: {c: {json: $.cookies.owner}}
                  - get: "/echo?me={{ user_id() }}&cookie={{ c }}"
                    name: /echo
                  - if: "iteration() >= 10"
                    then: [{stop_user: true}]
        """

    def test_cookies_persist_per_user_and_are_not_shared(self):
        # each user stops by itself after 10 tasks (a shared --iterations could all go to one)
        for threads in (1, 2):
            self.server.reset()
            o = self.run_loadc(self.COOKIES, "-u", 2, "-r", 100, "--threads", threads,
                               "--only-summary")
            self.assertEqual(o.rc, 0, o)
            events = echo_events(self.stats())
            self.assertEqual(sum(n for _, n in events), 20)
            self.assertEqual({a["me"] for a, _ in events}, {"1", "2"}, events)
            for a, _ in events:
                self.assertEqual(a["me"], a["cookie"], "threads %d: %r" % (threads, events))

    def test_login_in_on_start_and_bearer_token(self):
        o = self.run_loadc("""
            users:
              U:
                on_start:
                  - post: /login
                    json: {user: "user{{ user_id() }}", password: secret}
                    capture: {token: {json: $.token}}
                tasks:
                  - get: /items
                    headers: {Authorization: "Bearer {{ token }}"}
                    check: {json: {"$.user": {matches: "^user[0-9]+$"}}}
                  - get: /items/7
                    name: /items/[id]
                    auth: {bearer: "{{ token }}"}
            """, "-u", 3, "-r", 100, "-i", 30, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        s = self.stats()
        self.assertNotIn("401", s["statuses"], s)
        self.assertEqual(s["requests"]["POST /login"], 3)
        self.assertEqual(s["requests"].get("GET /items", 0) + s["requests"].get("GET /items/7", 0),
                         30)

    def test_sequential_feeder_recycles_and_next_row_takes_the_next(self):
        # issue 5: order: sequential with on_exhausted: recycle; one user takes row 1 when it
        # starts, each iteration sends its row then takes the next one with next_row, and a
        # per_task feeder gives a new row to each task run.
        with open(os.path.join(self.tmp, "abc.csv"), "w") as f:
            f.write('name,n\na,1\n"b, quoted",2\nc,3\n')
        o = self.run_loadc('''
            data:
              rows: {csv: abc.csv, order: sequential, on_exhausted: recycle}
              each: {csv: abc.csv, order: sequential, row: per_task}
            users:
              U:
                tasks:
                  - steps:
                      - get: "/echo?row={{ url_encode(data.rows.name) }}&n={{ data.rows.n }}&t={{ data.each.n }}&i={{ iteration() }}"
                        name: /echo
                      - next_row: rows
            ''', "-u", 1, "-i", 5, "--threads", 1, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        got = sorted((int(a["i"]), a["row"], a["n"], a["t"]) for a, n in echo_events(self.stats())
                     for _ in range(n))
        self.assertEqual(got, [(1, "a", "1", "1"), (2, "b, quoted", "2", "2"),
                               (3, "c", "3", "3"), (4, "a", "1", "1"), (5, "b, quoted", "2", "2")])

    def test_picked_ids_loops_and_conditions(self):
        # issue 5: ids captured with pick: all drive a loop over them; one picked at random
        # (always among them) and a templated URL stay one stats row each; loop count, and
        # if / then / else over the last response and a variable.
        o = self.run_loadc("""
            users:
              U:
                on_start:
                  - post: /login
                    json: {user: "user{{ user_id() }}", password: secret}
                    capture: {token: {json: $.token}}
                tasks:
                  - steps:
                      - get: /items?per_page=4&page={{ iteration() }}
                        auth: {bearer: "{{ token }}"}
                        capture:
                          ids: {json: "$.items[*].id", pick: all}
                          rid: {json: "$.items[*].id", pick: random}
                      - loop:
                          over: ids
                          as: id
                          steps:
                            - get: /items/{{ id }}
                              auth: {bearer: "{{ token }}"}
                              check: {json: {"$.id": {ge: 1, le: 12}}}
                      - get: /echo?rid={{ rid }}&p={{ iteration() }}
                      - loop:
                          count: 2
                          steps: [{get: /echo?ev=counted}]
                      - get: /status/404
                        check: {status: [200, 404]}
                      - if: "response.status == 404 && rid > 4"
                        then: [{get: /echo?ev=then}]
                        else: [{get: /echo?ev=else}]
                      - if: "!(response.status != 200) || rid == 'x'"
                        then: [{get: /echo?ev=ok200}]
            """, "-u", 1, "-i", 3, "--threads", 1, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        s = self.stats()
        self.assertNotIn("401", s["statuses"], s)
        # three iterations read pages 1, 2, 3: items 1-12, each fetched exactly once
        self.assertEqual({t: n for t, n in s["targets"].items() if t.startswith("GET /items/")},
                         {"GET /items/%d" % i: 1 for i in range(1, 13)})
        self.assertEqual(o.rows[("GET", "/items/{{ id }}")], (12, 0), o)
        self.assertEqual(o.rows[("GET", "/echo?rid={{ rid }}&p={{ iteration() }}")],
                         (3, 0), o)
        picks = arg_values(s, "rid")
        self.assertEqual(sum(picks.values()), 3)
        for args, n in echo_events(s):
            if "rid" in args:
                page = int(args["p"])
                self.assertIn(int(args["rid"]), range(4 * page - 3, 4 * page + 1), args)
        # rid > 4 on pages 2 and 3, not on page 1
        self.assertEqual(arg_values(s, "ev"), {"counted": 6, "else": 1, "then": 2, "ok200": 3})

    def test_setup_captures_are_globals_and_teardown_runs_once_after_the_users(self):
        # setup reads /__stats (not counted by the server) before any user; teardown reads it
        # after the users and sends what it saw
        o = self.run_loadc("""
            setup:
              - get: /__stats
                name: setup stats
                capture: {before: {json: $.total}}
              - post: /login
                json: {user: setup, password: secret}
                capture: {token: {json: $.token}}
            teardown:
              - get: /__stats
                name: teardown stats
                capture: {items: {json: "$.requests['GET /items']", default: 0}}
              - get: "/echo?ev=teardown&items_seen={{ items }}"
                name: teardown
            users:
              U:
                on_start: [{get: "/echo?ev=start&before={{ vars.before }}", name: start}]
                tasks:
                  - get: /items
                    auth: {bearer: "{{ vars.token }}"}
                    check: {json: {"$.user": setup}}
            """, "-u", 3, "-r", 100, "-i", 20, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        s = self.stats()
        self.assertNotIn("401", s["statuses"], s)
        self.assertEqual(s["requests"]["POST /login"], 1)
        self.assertEqual(s["requests"]["GET /items"], 20)
        self.assertEqual(echo_targets(s), {"ev=start&before=0": 3,
                                           "ev=teardown&items_seen=20": 1})
        self.assertEqual(o.requests("GET", "setup stats"), 1)
        self.assertEqual(o.requests("GET", "teardown stats"), 1)


class Load(RunCase):
    """Spawn steps, run_time, stages, ramp-down, reset_stats, class and tag filters."""

    # each user reads how many users had started before it (from /__stats), then says so
    STARTS = """
        users:
          U:
            wait: {constant: 30s}
            on_start:
              - get: /__stats
                name: stats
                capture: {seen: {json: "$.requests['GET /echo']", default: 0}}
              - get: "/echo?u={{ user_id() }}&seen={{ seen }}"
                name: /echo
            tasks: [{get: /json}]
        """

    def starts(self):
        return {int(a["u"]): int(a["seen"]) for a, n in echo_events(self.stats()) if "u" in a}

    def test_spawn_rate_steps_and_run_time(self):
        # -r 5: 5 users at once, 5 more a second later; the run ends by itself at 3 s
        o = self.run_loadc(self.STARTS, "-u", 10, "-r", 5, "-t", "3s", "--only-summary",
                           timeout=20)
        self.assertEqual(o.rc, 0, o)
        starts = self.starts()
        self.assertEqual(sorted(starts), list(range(1, 11)), starts)
        for u, seen in starts.items():
            if u <= 5:
                self.assertLessEqual(seen, 4, starts)   # started with the first step
            else:
                self.assertGreaterEqual(seen, 5, starts)  # after the whole first step
        s = self.stats()
        self.assertEqual(s["requests"]["GET /json"], 10)  # one task each, then 30 s of waiting
        self.assertEqual(o.requests("GET", "/json"), 10)

    def test_stages_reach_the_largest_count_and_end_after_the_last(self):
        o = self.run_loadc(textwrap.dedent("""
            load:
              stages:
                - {duration: 1s, users: 2, spawn_rate: 100}
                - {duration: 1s, users: 5, spawn_rate: 100}
            """) + textwrap.dedent(self.STARTS), "--only-summary", timeout=20)
        self.assertEqual(o.rc, 0, o)
        starts = self.starts()
        self.assertEqual(sorted(starts), [1, 2, 3, 4, 5], starts)
        for u, seen in starts.items():
            if u <= 2:
                self.assertLessEqual(seen, 1, starts)
            else:
                self.assertGreaterEqual(seen, 2, starts)

    def test_ramp_down_stops_the_last_started_users_first(self):
        # stages 4, 2, 3 users: the ramp-down stops users 4 and 3 (LIFO); the last stage adds
        # user 5. Each on_stop reads whether user 5 had started, so the stops before it show.
        o = self.run_loadc("""
            load:
              stages:
                - {duration: 800ms, users: 4, spawn_rate: 100}
                - {duration: 800ms, users: 2, spawn_rate: 100}
                - {duration: 800ms, users: 3, spawn_rate: 100}
            users:
              U:
                wait: {constant: 30s}
                on_start: [{get: "/echo?start={{ user_id() }}", name: start}]
                on_stop:
                  - get: /__stats
                    name: stats
                    capture: {n5: {json: "$.targets['GET /echo?start=5']", default: 0}}
                  - get: "/echo?stop={{ user_id() }}&after5={{ n5 }}"
                    name: stop
                tasks: [{get: /json}]
            """, "--threads", 1, "--only-summary", timeout=20)
        self.assertEqual(o.rc, 0, o)
        stops = {a["stop"]: a["after5"] for a, _ in echo_events(self.stats()) if "stop" in a}
        self.assertEqual(stops, {"4": "0", "3": "0", "1": "1", "2": "1", "5": "1"})

    def test_ramp_down_without_stop_timeout_kills_a_running_user(self):
        # Locust's stop_users: stop_timeout 0 stops a user with force=True, even mid-request.
        # User 1 is in a 5 s request when the second stage (0 users) starts at 1 s: it is
        # killed then (its on_stop runs before user 2 of the third stage exists) and the
        # request is not recorded.
        o = self.run_loadc("""
            load:
              stages:
                - {duration: 1s, users: 1, spawn_rate: 100}
                - {duration: 1s, users: 0, spawn_rate: 100}
                - {duration: 1s, users: 1, spawn_rate: 100}
            users:
              U:
                on_start: [{get: "/echo?start={{ user_id() }}", name: start}]
                on_stop:
                  - get: /__stats
                    name: stats
                    capture: {n2: {json: "$.targets['GET /echo?start=2']", default: 0}}
                  - get: "/echo?stop={{ user_id() }}&after2={{ n2 }}"
                    name: stop
                tasks:
                  - get: /delay/5000
                    name: /delay
            """, "--threads", 1, "--only-summary", timeout=20)
        self.assertEqual(o.rc, 0, o)
        stops = {a["stop"]: a["after2"] for a, _ in echo_events(self.stats()) if "stop" in a}
        self.assertEqual(stops, {"1": "0", "2": "1"})
        self.assertEqual(o.requests("GET", "/delay"), 0, o)

    def test_ramp_down_kills_a_running_user_after_the_stop_timeout(self):
        # Locust's stop_users with stop_timeout > 0: stop(force=False), then the users still
        # running after stop_timeout are killed. User 1 is in a 5 s request at the ramp-down
        # (1 s): killed at 1.3 s, its on_stop runs before user 2 of the third stage exists.
        o = self.run_loadc("""
            load:
              stop_timeout: 300ms
              stages:
                - {duration: 1s, users: 1, spawn_rate: 100}
                - {duration: 1s, users: 0, spawn_rate: 100}
                - {duration: 1s, users: 1, spawn_rate: 100}
            users:
              U:
                on_start: [{get: "/echo?start={{ user_id() }}", name: start}]
                on_stop:
                  - get: /__stats
                    name: stats
                    capture: {n2: {json: "$.targets['GET /echo?start=2']", default: 0}}
                  - get: "/echo?stop={{ user_id() }}&after2={{ n2 }}"
                    name: stop
                tasks:
                  - get: /delay/5000
                    name: /delay
            """, "--threads", 1, "--only-summary", timeout=20)
        self.assertEqual(o.rc, 0, o)
        stops = {a["stop"]: a["after2"] for a, _ in echo_events(self.stats()) if "stop" in a}
        self.assertEqual(stops, {"1": "0", "2": "1"})

    def test_reset_stats_when_spawning_completes(self):
        # user 1 starts at 0 s, user 2 at 1 s (spawning complete: the statistics reset); user 2
        # sleeps 300 ms before its requests, so only they are in loadc's table
        o = self.run_loadc("""
            users:
              U:
                wait: {constant: 30s}
                on_start:
                  - if: "user_id() == 2"
                    then: [{sleep: 300ms}]
                  - get: "/echo?u={{ user_id() }}"
                    name: /echo
                tasks: [{get: /json}]
            """, "-u", 2, "-r", 1, "-t", "2500ms", "--reset-stats", "--threads", 1,
            "--only-summary", timeout=20)
        self.assertEqual(o.rc, 0, o)
        s = self.stats()
        self.assertEqual(s["total"], 4, s)
        self.assertEqual(o.rows, {("GET", "/echo"): (1, 0), ("GET", "/json"): (1, 0)})

    def test_user_classes_and_tags_filter_what_runs(self):
        text = """
            users:
              A:
                tasks:
                  - get: /echo?c=A&t=x
                    tags: x
                  - get: /echo?c=A&t=y
                    tags: [y]
                  - get: /echo?c=A&t=none
              B:
                tasks:
                  - get: /echo?c=B&t=x
                    tags: x
                  - get: /echo?c=B&t=y
                    tags: y
                  - get: /echo?c=B&t=none
            """
        o = self.run_loadc(text, "--user-classes", "B", "-T", "x", "-u", 3, "-r", 100, "-i", 9,
                           "--only-summary")
        self.assertEqual(o.rc, 0, o)
        self.assertEqual(echo_targets(self.stats()), {"c=B&t=x": 9})
        self.server.reset()
        o = self.run_loadc(text, "--user-classes", "A", "-T", "y", "-i", 5, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        self.assertEqual(echo_targets(self.stats()), {"c=A&t=y": 5})
        self.server.reset()
        o = self.run_loadc(text, "--user-classes", "A", "-E", "x,y", "-i", 5, "--only-summary")
        self.assertEqual(o.rc, 0, o)
        self.assertEqual(echo_targets(self.stats()), {"c=A&t=none": 5})


class Signals(RunCase):
    """SIGINT/SIGTERM: graceful within the stop timeout, then at once; the summary either way."""

    def assert_summary(self, o):
        self.assertIsNotNone(o.total, o)
        self.assertRegex(o.out, r"(?m)^ {9}Aggregated +\d+ ", o)

    def interrupt_after(self, proc, pred, what, sig=signal.SIGINT):
        self.wait_server(pred, what)
        self.assertIsNone(proc.poll(), "loadc ended before the signal")
        proc.send_signal(sig)

    def test_first_signal_is_graceful(self):
        for sig, path, rc in ((signal.SIGINT, "/json", 0), (signal.SIGTERM, "/json", 0),
                              (signal.SIGINT, "/status/503", 1)):
            self.server.reset()
            p = self.start_loadc("""
                users:
                  U:
                    wait: {constant: 50ms}
                    tasks: [{get: %s}]
                """ % path, "-u", 2, "-r", 100, "-t", "60s", "-s", "5s", "--only-summary")
            self.interrupt_after(p, lambda s: s["total"] >= 4, "4 requests", sig)
            o = self.finish(p, 15)
            self.assertEqual(o.rc, rc, o)
            self.assert_summary(o)
            # the stop timeout lets the running requests finish: nothing is cut off
            self.assertEqual(o.total[0], self.stats()["total"], o)
            self.assertEqual(o.total[1], o.total[0] if rc else 0, o)

    def test_stop_timeout_lets_a_running_task_finish(self):
        p = self.start_loadc("""
            users:
              U:
                wait: {constant: 30s}
                tasks:
                  - get: /delay/1000
                    name: /delay
            """, "-s", "2s", "-t", "60s", "--only-summary")
        self.interrupt_after(p, lambda s: s["requests"].get("GET /delay/1000") == 1, "the delay")
        o = self.finish(p, 15)
        self.assertEqual(o.rc, 0, o)
        self.assert_summary(o)
        self.assertEqual(o.rows, {("GET", "/delay"): (1, 0)})
        self.assertEqual(self.stats()["statuses"], {"200": 1})

    def test_without_stop_timeout_a_running_request_is_dropped(self):
        # Locust's stop_timeout 0: users are killed at once, even mid-request (not recorded)
        p = self.start_loadc("""
            users:
              U:
                tasks:
                  - get: /delay/3000
                    name: /delay
            """, "-t", "60s", "--only-summary")
        self.interrupt_after(p, lambda s: s["requests"].get("GET /delay/3000") == 1, "the delay")
        o = self.finish(p, 2.5)  # well before the delay's answer
        self.assertEqual(o.rc, 0, o)
        self.assert_summary(o)
        self.assertEqual(o.rows, {})
        self.assertEqual(o.total, (0, 0))

    def test_stop_timeout_expires_and_kills_the_running_user(self):
        p = self.start_loadc("""
            users:
              U:
                on_stop: [{get: /echo?ev=stop}]
                tasks:
                  - get: /delay/5000
                    name: /delay
            """, "-s", "300ms", "-t", "60s", "--threads", 2, "--only-summary")
        # two workers, one without users: it must not be counted as empty twice
        self.interrupt_after(p, lambda s: s["requests"].get("GET /delay/5000") == 1, "the delay")
        o = self.finish(p, 4)  # the stop timeout ends it, not the 5 s delay
        self.assertEqual(o.rc, 0, o)
        self.assert_summary(o)
        self.assertEqual(o.requests("GET", "/delay"), 0, o)
        # killed users still run their on_stop (locust-behaviour.md section 1)
        self.assertEqual(echo_targets(self.stats()), {"ev=stop": 1})
        self.assertEqual(o.rows, {("GET", "/echo?ev=stop"): (1, 0)})

    def test_second_signal_stops_at_once(self):
        p = self.start_loadc("""
            users:
              U:
                wait: {constant: 50ms}
                tasks:
                  - steps:
                      - get: /json
                      - get: /delay/20000
                        name: /delay
            """, "-u", 2, "-r", 100, "-s", "60s", "-t", "60s", "--only-summary")
        self.interrupt_after(p, lambda s: s["requests"].get("GET /delay/20000", 0) >= 1
                             and s["requests"].get("GET /json", 0) >= 1, "a delay and a /json")
        time.sleep(0.3)
        self.assertIsNone(p.poll(), "the first signal should wait for the 20 s request")
        p.send_signal(signal.SIGINT)
        o = self.finish(p, 5)
        self.assertIn(o.rc, (0, 1), o)
        self.assert_summary(o)
        self.assertGreaterEqual(o.requests("GET", "/json"), 1, o)
        self.assertEqual(o.requests("GET", "/delay"), 0, o)


    SETUP = """
        setup:
          - get: /delay/1000
            name: setup
        teardown:
          - get: /__stats
            name: teardown stats
            capture: {ok: {json: "$.statuses['200']", default: 0}}
          - get: "/echo?ev=teardown&ok_before={{ ok }}"
            name: teardown
        users:
          U:
            tasks: [{get: /json}]
        """

    def test_signal_during_setup_lets_it_end_then_runs_teardown(self):
        # no user starts; the teardown runs after the setup's answer (200) was sent, not
        # beside the setup (it used to, and the setup's late answer crashed the worker)
        p = self.start_loadc(self.SETUP, "-i", 5, "--threads", 2, "--only-summary")
        self.interrupt_after(p, lambda s: s["requests"].get("GET /delay/1000") == 1, "setup")
        o = self.finish(p, 10)
        self.assertEqual(o.rc, 0, o)
        self.assert_summary(o)
        s = self.stats()
        self.assertNotIn("GET /json", s["requests"])
        self.assertEqual(echo_targets(s), {"ev=teardown&ok_before=1": 1})
        self.assertEqual(o.rows, {("GET", "setup"): (1, 0), ("GET", "teardown stats"): (1, 0),
                                  ("GET", "teardown"): (1, 0)})

    def test_second_signal_during_setup_or_teardown_ends_the_run(self):
        p = self.start_loadc(self.SETUP, "-i", 5, "--only-summary")
        self.interrupt_after(p, lambda s: s["requests"].get("GET /delay/1000") == 1, "setup")
        time.sleep(0.1)
        p.send_signal(signal.SIGINT)
        o = self.finish(p, 0.8)  # before the setup's answer: no teardown after a second signal
        self.assertEqual(o.rc, 0, o)
        self.assert_summary(o)
        self.assertEqual(o.total, (0, 0))
        self.assertEqual(self.stats()["requests"], {"GET /delay/1000": 1})
        # during the teardown (the users ended by --iterations): a second signal ends it too
        self.server.reset()
        p = self.start_loadc(self.SETUP.replace("/__stats", "/delay/5000"), "-i", 5,
                             "--only-summary")
        self.interrupt_after(p, lambda s: s["requests"].get("GET /delay/5000") == 1, "teardown")
        p.send_signal(signal.SIGINT)
        time.sleep(0.1)
        p.send_signal(signal.SIGINT)
        o = self.finish(p, 3)
        self.assertEqual(o.rc, 0, o)
        self.assertEqual(o.rows, {("GET", "setup"): (1, 0), ("GET", "/json"): (5, 0)})


class SingleUserAndSeed(RunCase):
    """--single-user (Locust's run_single_user) and --seed."""

    TWO = """
        users:
          Alpha:
            tasks:
              - steps:
                  - get: /json
                  - get: /status/404
                  - post: /echo?c=Alpha
                    name: posted
          Beta:
            tasks:
              - get: /echo?c=Beta
                name: beta
        """

    LINE = re.compile(r"^(\S+) +(.+?) +(\d+) +\d+\.\d\d ms +\d+ B  (.*)$")

    def lines(self, o):
        out = []
        for line in o.out.splitlines():
            m = self.LINE.match(line)
            self.assertIsNotNone(m, "not a request line: %r\n%r" % (line, o))
            out.append(m.groups())
        return out

    def test_single_user_prints_a_line_per_request(self):
        o = self.run_loadc(self.TWO, "--single-user", "-u", 5, "-i", 2)
        self.assertEqual(o.rc, 1, o)  # the 404 failed
        self.assertIsNone(o.total, "no summary table with --single-user")
        self.assertEqual(self.lines(o), [
            ("GET", "/json", "200", "ok"),
            ("GET", "/status/404", "404", "HTTPError 404 for /status/404"),
            ("POST", "posted", "200", "ok"),
        ] * 2)
        s = self.stats()
        self.assertEqual(s["requests"], {"GET /json": 2, "GET /status/404": 2, "POST /echo": 2})
        # one user, one keep-alive connection (the other one asks for /__stats)
        self.assertEqual(s["connections"]["accepted"], 2)

    def test_single_user_with_a_class(self):
        o = self.run_loadc(self.TWO, "--single-user=Beta", "-i", 3)
        self.assertEqual(o.rc, 0, o)
        self.assertEqual(self.lines(o), [("GET", "beta", "200", "ok")] * 3)
        self.assertEqual(echo_targets(self.stats()), {"c=Beta": 3})
        o = self.run_loadc(self.TWO, "--single-user=Gamma", "-i", 3)
        self.assertEqual(o.rc, 2, o)
        self.assertIn("Gamma", o.err)

    def test_single_user_runs_until_interrupted(self):
        p = self.start_loadc("""
            users:
              U:
                wait: 50ms
                tasks: [{get: /json}]
            """, "--single-user", "-s", "2s")
        self.wait_server(lambda s: s["total"] >= 3, "3 requests")
        p.send_signal(signal.SIGINT)
        o = self.finish(p, 10)
        self.assertEqual(o.rc, 0, o)
        lines = self.lines(o)
        self.assertEqual(set(lines), {("GET", "/json", "200", "ok")})
        self.assertEqual(len(lines), self.stats()["total"])

    SEEDED = """
        variables: {limit: 1000000}
        users:
          U:
            tasks:
              - get: "/echo?u={{ user_id() }}&t=a"
                weight: 5
              - get: "/echo?u={{ user_id() }}&t=b&r={{ random_int(1, 6) }}"
                weight: 3
              - taskset:
                  - get: "/echo?u={{ user_id() }}&t=c&s={{ random_string(10) }}"
                    weight: 3
                  - get: "/echo?u={{ user_id() }}&t=d&x={{ random_choice(['p', 'q', 'r']) }}"
                  - interrupt: true
              - steps:
                  - get: "/echo?u={{ user_id() }}&t=e"
                  - if: "iteration() >= vars.limit"
                    then: [{stop_user: true}]
        """

    def seeded_run(self, seed, *args):
        self.server.reset()
        o = self.run_loadc(self.SEEDED, "--seed", seed, "--only-summary", *args)
        self.assertEqual(o.rc, 0, o)
        return echo_targets(self.stats())

    def test_seed_makes_runs_identical(self):
        # one user and --iterations: the whole run is one stream of choices
        a = self.seeded_run(42, "-i", 300, "--threads", 1)
        b = self.seeded_run(42, "-i", 300, "--threads", 1)
        self.assertEqual(a, b)
        self.assertGreater(sum(a.values()), 150, a)
        c = self.seeded_run(43, "-i", 300, "--threads", 1)
        self.assertNotEqual(a, c)  # random_string(10) differs with the seed

    def test_seed_with_several_users(self):
        # three users that each stop by themselves (no shared limit): each user's stream of
        # choices depends on the seed and its id only
        a = self.seeded_run(7, "-u", 3, "-r", 100, "--threads", 1, "--set", "limit=60")
        b = self.seeded_run(7, "-u", 3, "-r", 100, "--threads", 1, "--set", "limit=60")
        self.assertEqual(a, b)
        self.assertEqual({dict(urllib.parse.parse_qsl(k))["u"] for k in a}, {"1", "2", "3"})


class UsageErrors(RunCase):
    """Exit codes 2 (usage or scenario error) and 3 (cannot run); nothing reaches the server."""

    GOOD = """
        users:
          U:
            tasks: [{get: /json}]
        """

    def test_missing_file(self):
        o = self.run_loadc(os.path.join(self.tmp, "nope.yaml"), "-i", 1)
        self.assertEqual(o.rc, 2, o)
        self.assertIn("nope.yaml", o.err)
        self.assertEqual(o.out, "")
        self.assertEqual(self.stats()["total"], 0)

    def test_invalid_scenario(self):
        path = self.scenario("""
            users:
              U:
                wiat: 1s
                tasks: [{get: /json}]
            """)
        o = self.run_loadc(path, "-i", 1)
        self.assertEqual(o.rc, 2, o)
        self.assertIn(path + ":3:5: error: unknown key 'wiat' (did you mean 'wait'?)", o.err)
        self.assertEqual(o.out, "")
        self.assertEqual(self.stats()["total"], 0)

    def test_no_host(self):
        o = self.run_loadc(self.GOOD, "-i", 1, host=False)
        self.assertEqual(o.rc, 2, o)
        self.assertIn("no host", o.err)
        self.assertEqual(self.stats()["total"], 0)

    def test_exit_code_on_error(self):
        text = """
            users:
              U:
                tasks: [{get: /status/500}]
            """
        o = self.run_loadc(text, "-i", 2, "--exit-code-on-error", 7, "--only-summary")
        self.assertEqual(o.rc, 7, o)
        self.assertEqual(o.total, (2, 2))
        o = self.run_loadc(self.GOOD, "-i", 2, "--exit-code-on-error", 7, "-q")
        self.assertEqual((o.rc, o.out), (0, ""), o)


if __name__ == "__main__":
    unittest.main()
