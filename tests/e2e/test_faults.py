"""test_faults.py: the fault matrix of issue 9 against misbehaving targets on loopback.

Each case runs the real loadc (env LOADC) against faulty.py (a target that misbehaves per path
and counts what it received) and asserts four things:
  - the run ends within a bound (a 2 s run, a 1 s request timeout, --stop-timeout 3s: the bound
    is generous and only catches a hang; it is not a measurement);
  - every request is accounted for: the target's own count (read in this process, not through
    loadc) equals loadc's requests in the --json result, or the comment says why it cannot;
  - the failure kind and message are right, in the JSON `errors` and in the console's
    "Error report", which agree with each other;
  - the reports (--json, --csv, --html; --junit in the process tests) are complete and parse.
The stop timeout (3 s) is longer than any request can last (1 s timeout), so no request is cut
off at the stop: every request the target saw, loadc recorded, and the reverse.

The HTTP client is a parameter: the scenario's class key `client:` selects it. CLIENTS lists the
clients tested; each test class below is built once per client (FaultsCurl today; a "fast"
entry adds FaultsFast with the same tests, and EXPECT_<client> overrides where that client's
own wording differs).

Run: LOADC=/path/to/loadc /usr/bin/python3 -m unittest -v test_faults   (from tests/e2e)
"""

import csv
import html
import html.parser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

import faulty
from faulty import BIG, FaultyServer
from harness import find_loadc

LOADC = find_loadc()
CLIENTS = ("curl", "fast")
RUN_TIME, STOP_TIMEOUT, REQ_TIMEOUT = 2, 3, 1  # seconds
BOUND = 30.0  # seconds: any run here ends far sooner; past this it hangs
JUNIT_XSD = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "schema", "junit.xsd")
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                   "runtime error:")

RESET = "connection reset by peer"
TIMEOUT = "timeout after 1s"
CLOSED_EARLY = "connection closed before the end of the body: "
MALFORMED = "malformed response: "

# The messages per case, for the curl client. A second client gives its own where they differ.
EXPECT_curl = {
    "/reset": RESET,
    "/stall": TIMEOUT,
    "/body-stall": TIMEOUT,
    "/drip": TIMEOUT,
    "/bad-status": MALFORMED + "received HTTP/0.9 when not allowed",
    "/bad-header": MALFORMED + "header without colon",
    "/huge-header": MALFORMED + "a header line is longer than curl's limit (100 KiB)",
    "/trunc-chunked": CLOSED_EARLY + "transfer closed with outstanding read data remaining",
    "/cl-long": CLOSED_EARLY + "transfer closed with 10 bytes remaining to read",
    "self-signed": "TLS: certificate verify failed (self-signed certificate)",
    "expired": "TLS: certificate verify failed (certificate has expired)",
    "wronghost": "TLS: certificate verify failed (SSL: no alternative certificate subject name "
                 "matches target host name '127.0.0.1')",
}


# The fast client says the same as curl where it can; where the failure is curl's own wording
# (its header-size limit, HTTP/0.9), it names the fault in its own words.
EXPECT_fast = dict(EXPECT_curl)
EXPECT_fast.update({
    "/bad-status": MALFORMED + "malformed status line",
    "/bad-header": MALFORMED + "malformed header line",
    "/huge-header": MALFORMED + "response headers too large",
})


class Cells(html.parser.HTMLParser):
    """The text of an HTML document, and whether every opened <html>/<body> was closed."""

    def __init__(self):
        super().__init__()
        self.text, self.open = [], []

    def handle_starttag(self, tag, attrs):
        if tag in ("html", "body"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in ("html", "body") and self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


class Run:
    """One finished loadc run: rc, stdout, stderr, elapsed wall time, the JSON result, the
    console's error report [(occurrences, method, "name: message")], the output prefix."""

    def __init__(self, rc, out, err, elapsed, out_dir):
        self.rc, self.out, self.err, self.elapsed, self.dir = rc, out, err, elapsed, out_dir
        with open(os.path.join(out_dir, "r.json")) as f:
            self.doc = json.load(f)
        self.console_errors = []
        m = re.search(r"(?m)^Error report\n# occurrences +\S+\n((?:.+\n?)*)", out)
        if m:
            for line in m.group(1).splitlines():
                r = re.fullmatch(r"(\d+)\s+(\S+) (.*)", line)
                if not r:
                    raise AssertionError("unparsable error report line %r" % line)
                self.console_errors.append((int(r.group(1)), r.group(2), r.group(3)))

    @property
    def requests(self):
        return self.doc["aggregated"]["num_requests"]

    @property
    def failures(self):
        return self.doc["aggregated"]["num_failures"]

    def messages(self):
        """{message: occurrences} of the JSON errors table."""
        d = {}
        for e in self.doc["errors"]:
            d[e["message"]] = d.get(e["message"], 0) + e["occurrences"]
        return d

    def __repr__(self):
        return "<loadc rc=%r %.1fs\n--- stdout\n%s--- stderr\n%s>" % (
            self.rc, self.elapsed, self.out[-4000:], self.err[-3000:])


class FaultCase(unittest.TestCase):
    CLIENT = None  # set by the per-client subclasses below
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.target = FaultyServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.target.stop()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="loadc-faults-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.target.reset()

    def expect(self, case):
        return globals()["EXPECT_" + self.CLIENT][case]

    # -- running loadc -----------------------------------------------------------------------

    def scenario(self, path, timeout="%ds" % REQ_TIMEOUT, extra="", wait=None):
        text = textwrap.dedent("""\
            defaults: {timeout: %s%s}
            users:
              U:
                client: %s
            %s    tasks:
                  - get: %s
            """) % (timeout, extra, self.CLIENT, "    wait: %s\n" % wait if wait else "", path)
        p = os.path.join(self.tmp, "s.yaml")
        with open(p, "w") as f:
            f.write(text)
        return p

    def command(self, scenario, host, *args, users=2, run_time=RUN_TIME, junit=False):
        out = os.path.join(self.tmp, "out")
        os.makedirs(out, exist_ok=True)
        cmd = [LOADC, "run", scenario, "-H", host, "-u", str(users), "-r", "100",
               "-t", "%ds" % run_time, "--stop-timeout", "%ds" % STOP_TIMEOUT, "--threads", "1",
               "--only-summary", "--json", os.path.join(out, "r.json"),
               "--csv", os.path.join(out, "r"), "--html", os.path.join(out, "r.html")]
        if junit:
            cmd += ["--junit", os.path.join(out, "r.xml")]
        return cmd + [str(a) for a in args], out

    def finish(self, proc, out_dir, started, timeout=BOUND):
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate(timeout=10)
            raise AssertionError("loadc did not end within %.0fs (a hang)\nstdout: %s\nstderr: %s"
                                 % (timeout, out[-3000:], err[-3000:]))
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, err, "sanitizer report:\n" + err[-6000:])
        return Run(proc.returncode, out, err, time.monotonic() - started, out_dir)

    def start(self, scenario, host, *args, prefix=(), **kw):
        cmd, out_dir = self.command(scenario, host, *args, **kw)
        started = time.monotonic()
        proc = subprocess.Popen(list(prefix) + cmd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def cleanup():
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=10)
        self.addCleanup(cleanup)
        return proc, out_dir, started

    def run_loadc(self, scenario, host, *args, **kw):
        return self.finish(*self.start(scenario, host, *args, **kw))

    # -- the four assertions -----------------------------------------------------------------

    def assert_bounded(self, r, run_time=RUN_TIME):
        """The JSON says the run ended by itself ("completed") and it took no longer than its
        run time plus its stop timeout (and slack for a loaded machine): no hang."""
        self.assertEqual(r.doc["run"]["end_reason"], "completed", r)
        self.assertLess(r.doc["run"]["duration_us"], (run_time + STOP_TIMEOUT + 5) * 1e6, r)

    def assert_errors(self, r, expected):
        """Exactly these messages ({message: None (any count) or count}); every failure is in the
        table; the console's error report says the same."""
        got = r.messages()
        self.assertEqual(set(got), set(expected), r)
        for m, n in expected.items():
            if n is not None:
                self.assertEqual(got[m], n, r)
        self.assertEqual(sum(got.values()), r.failures, r)
        for e in r.doc["errors"]:
            self.assertEqual(e["method"], "GET")
        console = sorted((e["occurrences"], e["method"], "%s: %s" % (e["name"], e["message"]))
                         for e in r.doc["errors"])
        self.assertEqual(sorted(r.console_errors), console, r)
        return got

    def assert_reports(self, r, junit=False):
        """Every report file is there, parses, and carries the run's counts and errors."""
        doc = r.doc
        for k in ("format", "version", "run", "entries", "aggregated", "errors", "history"):
            self.assertIn(k, doc)
        self.assertEqual(sum(e["num_requests"] for e in doc["entries"]), r.requests)
        self.assertEqual(sum(e["num_failures"] for e in doc["entries"]), r.failures)
        # CSV: the four files of Locust's --csv
        p = os.path.join(r.dir, "r")
        with open(p + "_stats.csv", newline="") as f:
            stats = list(csv.DictReader(f))
        agg = [s for s in stats if s["Name"] == "Aggregated"]
        self.assertEqual(len(agg), 1, stats)
        self.assertEqual(int(agg[0]["Request Count"]), r.requests)
        self.assertEqual(int(agg[0]["Failure Count"]), r.failures)
        with open(p + "_failures.csv", newline="") as f:
            fails = list(csv.DictReader(f))
        self.assertEqual(sorted((x["Error"], int(x["Occurrences"])) for x in fails),
                         sorted((e["message"], e["occurrences"]) for e in doc["errors"]))
        for suffix in ("_exceptions.csv", "_stats_history.csv"):
            with open(p + suffix, newline="") as f:
                rows = list(csv.reader(f))
            self.assertTrue(rows, suffix)
            self.assertTrue(all(len(x) == len(rows[0]) for x in rows), suffix)
        # HTML: a complete document that names every error
        with open(os.path.join(r.dir, "r.html"), encoding="utf-8") as f:
            text = f.read()
        self.assertTrue(text.rstrip().endswith("</html>"), text[-200:])
        c = Cells()
        c.feed(text)
        c.close()
        self.assertEqual(c.open, [], "unclosed html/body")
        body = html.unescape("".join(c.text))
        for e in doc["errors"]:
            self.assertIn(e["message"], body)
        if junit:
            x = os.path.join(r.dir, "r.xml")
            v = subprocess.run(["xmllint", "--noout", "--schema", JUNIT_XSD, x],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(v.returncode, 0, v.stderr)

    def check_case(self, path, message, counted=True, **kw):
        """A path that fails every request with one message; the target counts each request."""
        r = self.run_loadc(self.scenario(path, **kw), self.target.url)
        self.assert_bounded(r)
        self.assertEqual(r.rc, 1, r)
        self.assertGreater(r.requests, 0, r)
        self.assert_errors(r, {message: r.requests})
        if counted:
            self.assertEqual(self.target.counts()["total"], r.requests, (self.target.counts(), r))
        self.assert_reports(r)
        return r


class Matrix(FaultCase):
    """One test per fault."""

    def test_gzip_body_read_by_a_check_is_decoded(self):
        # the scenario asks for gzip; a check reads the body: both clients decode it (the
        # content size counted is the decoded one); a body nobody reads is counted as received
        import gzip as gz
        from faulty import GZIP_JSON
        for check, size in (("\n        check: {json: {\"$.count\": 3}}", len(GZIP_JSON)),
                            ("", len(gz.compress(GZIP_JSON)))):
            p = os.path.join(self.tmp, "g.yaml")
            with open(p, "w") as f:
                f.write("users:\n  U:\n    client: %s\n    tasks:\n      - get: /gzip\n"
                        "        headers: {Accept-Encoding: gzip}%s\n" % (self.CLIENT, check))
            r = self.run_loadc(p, self.target.url)
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(r.failures, 0, r)
            agg = r.doc["aggregated"]
            self.assertGreater(agg["num_requests"], 0, r)
            # gzip output of the same input has the same length: the undecoded size is exact
            self.assertEqual(agg["total_content_length"], size * agg["num_requests"], (check, r))

    def test_client_option_overrides_the_scenario(self):
        # `--client` picks the client whatever the scenario says: the two word a malformed
        # status line differently, so the message tells which one ran
        other = "curl" if self.CLIENT == "fast" else "fast"
        r = self.run_loadc(self.scenario("/bad-status"), self.target.url, "--client", other)
        self.assertEqual(r.rc, 1, r)
        self.assert_errors(r, {globals()["EXPECT_" + other]["/bad-status"]: r.requests})

    def test_connection_refused(self):
        # Nothing listens (a bound socket that does not listen holds the port), so no target
        # counts: every request loadc made failed, with one message.
        s = faulty.refusing_port()
        self.addCleanup(s.close)
        r = self.run_loadc(self.scenario("/ok"), "http://127.0.0.1:%d" % s.getsockname()[1])
        self.assert_bounded(r)
        self.assertEqual(r.rc, 1, r)
        self.assertGreater(r.requests, 0)
        self.assert_errors(r, {"connection refused": r.requests})
        self.assert_reports(r)

    def test_server_stops_mid_run_and_comes_back(self):
        sc = self.scenario("/ok", wait="20ms")
        proc, out_dir, started = self.start(sc, self.target.url, run_time=5)
        wait_until(lambda: self.target.counts()["total"] >= 20, "first requests")
        self.target.stop()  # closes the listener and every connection
        down = self.target.counts()["total"]
        time.sleep(1.0)     # loadc meets a closed port for a while (refused)
        self.assertEqual(self.target.counts()["total"], down)
        self.target.start()  # the same port
        wait_until(lambda: self.target.counts()["total"] >= down + 20, "requests after restart")
        r = self.finish(proc, out_dir, started)
        self.assert_bounded(r, run_time=5)
        self.assertEqual(r.rc, 1, r)
        got = self.assert_errors(r, {"connection refused": None})
        # The keep-alive connections the stop shut down were idle (curl retries a request on a
        # reused connection that turns out dead) or mid-request; a request the stop cut off
        # could be counted by the target and fail in loadc, so allow no such message but
        # refused: every refused request never reached the target, every other one did.
        self.assertEqual(r.requests - got["connection refused"], self.target.counts()["total"],
                         (self.target.counts(), r))
        self.assertGreater(r.requests - r.failures, down)  # successes before and after
        self.assert_reports(r)

    def test_connection_reset_mid_response(self):
        self.check_case("/reset", self.expect("/reset"))

    def test_stall_past_the_timeout(self):
        self.check_case("/stall", self.expect("/stall"))

    def test_headers_on_time_then_the_body_stalls(self):
        self.check_case("/body-stall", self.expect("/body-stall"))

    def test_slow_drip(self):
        self.check_case("/drip", self.expect("/drip"))

    def test_malformed_status_line(self):
        self.check_case("/bad-status", self.expect("/bad-status"))

    def test_malformed_header(self):
        self.check_case("/bad-header", self.expect("/bad-header"))

    def test_oversized_headers(self):
        self.check_case("/huge-header", self.expect("/huge-header"))

    def test_truncated_chunked_body(self):
        self.check_case("/trunc-chunked", self.expect("/trunc-chunked"))

    def test_content_length_longer_than_the_body(self):
        self.check_case("/cl-long", self.expect("/cl-long"))

    def test_content_length_shorter_than_the_body(self):
        # Content-Length decides (RFC 9112 6.3): 5 bytes are the body, the rest is discarded
        # with the connection (the target closes it). Not a failure, as in Locust/requests.
        r = self.run_loadc(self.scenario("/cl-short"), self.target.url)
        self.assert_bounded(r)
        self.assertEqual(r.rc, 0, r)
        self.assert_errors(r, {})
        self.assertGreater(r.requests, 0)
        self.assertEqual(self.target.counts()["total"], r.requests)
        self.assertEqual(r.doc["aggregated"]["total_content_length"], 5 * r.requests)
        self.assert_reports(r)

    def test_a_100_mb_body_is_streamed_not_held(self):
        # one request without a check (the body is counted, not kept) and one with a check
        # (kept up to max_body, then fails): loadc's peak memory stays far below 100 MB
        base = self.scenario("/ok")
        cmd, out_dir = self.command(base, self.target.url, "-i", "1")
        _, base_rss = run_measured(cmd)
        sc = os.path.join(self.tmp, "big.yaml")
        with open(sc, "w") as f:
            f.write(textwrap.dedent("""\
                defaults: {timeout: 20s}
                users:
                  U:
                    client: %s
                    tasks:
                      - steps:
                          - get: /big
                          - get: /big
                            name: big checked
                            check: {body_contains: abc}
                """) % self.CLIENT)
        self.target.reset()
        cmd, out_dir = self.command(sc, self.target.url, "-i", "1")
        (rc, out, err), rss = run_measured(cmd)
        r = Run(rc, out, err, 0, out_dir)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(self.target.counts()["requests"], {"/big": 2})
        self.assertEqual(r.requests, 2)
        self.assert_errors(r, {"response body larger than max_body (10 MiB)": 1})
        unread = [e for e in r.doc["entries"] if e["name"] == "/big"][0]
        self.assertEqual(unread["total_content_length"], BIG)
        self.assertLess(rss, base_rss + 40 * 1024, (base_rss, rss))  # KiB
        self.assert_reports(r)

    def no_keepalive(self, path):
        r = self.run_loadc(self.scenario(path), self.target.url)
        self.assert_bounded(r)
        self.assertEqual(r.rc, 0, r)
        self.assert_errors(r, {})
        c = self.target.counts()
        self.assertGreater(r.requests, 0)
        self.assertEqual(c["total"], r.requests)
        self.assertEqual(c["connections"], r.requests)  # a new connection for every request
        self.assert_reports(r)

    def test_http_1_0_without_keep_alive(self):
        self.no_keepalive("/http10")

    def test_connection_close_on_every_response(self):
        self.no_keepalive("/close")

    def test_a_name_that_does_not_resolve(self):
        # No target: the name fails before any connection. curl's resolver thread cannot be
        # cancelled, so a lookup that outlasts the timeout is a timeout that says so.
        r = self.run_loadc(self.scenario("/ok"), "http://does-not-exist.invalid")
        self.assert_bounded(r)
        self.assertEqual(r.rc, 1, r)
        self.assertGreater(r.requests, 0)
        got = r.messages()
        self.assertIn("could not resolve host 'does-not-exist.invalid'", got, r)
        self.assertLessEqual(set(got), {"could not resolve host 'does-not-exist.invalid'",
                                        "timeout after 1s (resolving the host name)"}, r)
        self.assert_errors(r, {m: None for m in got})
        self.assertEqual(r.failures, r.requests)
        self.assert_reports(r)

    def test_out_of_file_descriptors_is_one_clear_message(self):
        # 100 users under a hard limit of 64 open files (loadc raises its soft limit to the hard
        # one, so both are lowered): the requests without a descriptor fail with one message
        # that names the limit and the fix, and loadc warns once before the run.
        sc = self.scenario("/ok", wait="50ms")
        r = self.run_loadc(sc, self.target.url, users=100,
                           prefix=("prlimit", "--nofile=64:64", "--"))
        self.assert_bounded(r)
        self.assertEqual(r.rc, 1, r)
        msg = "too many open files (limit 64): raise it with `ulimit -n`"
        self.assert_errors(r, {msg: None})
        self.assertEqual(r.err.count("open-files limit (64) is too low for 100 users"), 1, r)
        # no flood on stderr: no line twice (the periodic CSV rewrite may fail once for want
        # of a descriptor; the final files are written after the connections closed)
        lines = r.err.splitlines()
        self.assertEqual(len(lines), len(set(lines)), r)
        self.assertLessEqual(len(lines), 3, r)
        # the failed requests never reached the target; the others all did
        self.assertEqual(self.target.counts()["total"], r.requests - r.failures)
        self.assertGreater(r.requests - r.failures, 0)
        self.assert_reports(r)

    def test_out_of_local_ports_is_one_clear_message(self):
        # In a network namespace of its own with 10 ephemeral ports, loadc and the target (run
        # by faulty.py's main) meet EADDRNOTAVAIL within a second with `Connection: close`
        # (every closed connection keeps its port in TIME_WAIT). One message with the fix; the
        # failed requests never reached the target, the others all did.
        counts = os.path.join(self.tmp, "counts.json")
        cmd, out_dir = self.command(self.scenario("/close"), "{url}", users=4)
        netns = ["unshare", "-rn", "sh", "-c", "ip link set lo up && echo '40000 40009' > "
                 "/proc/sys/net/ipv4/ip_local_port_range && exec \"$@\"", "sh"]
        probe = subprocess.run(netns + ["true"], capture_output=True, timeout=30)
        if probe.returncode != 0:
            self.skipTest("no network namespace here (unshare -rn): %r" % probe.stderr)
        faulty_py = os.path.join(os.path.dirname(os.path.abspath(__file__)), "faulty.py")
        started = time.monotonic()
        proc = subprocess.Popen(netns + [sys.executable, faulty_py, counts] + cmd,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        r = self.finish(proc, out_dir, started)
        self.assert_bounded(r)
        self.assertEqual(r.rc, 1, r)
        msg = ("no free local port: every ephemeral port to this target is in use; use more "
               "source addresses or fewer connections (or widen net.ipv4.ip_local_port_range)")
        self.assert_errors(r, {msg: None})
        # a loop of instant failures keeps a core busy: the saturation warning is expected
        self.assertEqual([l for l in r.err.splitlines() if "is saturated" not in l], [], r)
        with open(counts) as f:
            c = json.load(f)
        self.assertEqual(c["total"], r.requests - r.failures, r)
        self.assertGreater(c["total"], 0)
        self.assert_reports(r)


class TLS(FaultCase):
    """A TLS target with certificates made by openssl in the test's temporary directory."""

    @classmethod
    def setUpClass(cls):
        cls.certdir = tempfile.mkdtemp(prefix="loadc-certs-")
        cls.certs = faulty.make_certs(cls.certdir)
        cls.target = FaultyServer().start()  # unused; FaultCase wants one

    @classmethod
    def tearDownClass(cls):
        cls.target.stop()
        shutil.rmtree(cls.certdir, True)

    def tls_target(self, name):
        t = FaultyServer(*self.certs[name]).start()
        self.addCleanup(t.stop)
        return t

    def test_self_signed_fails_with_verify_on(self):
        t = self.tls_target("self")
        r = self.run_loadc(self.scenario("/ok"), t.url)
        self.assert_bounded(r)
        self.assertEqual(r.rc, 1, r)
        self.assert_errors(r, {self.expect("self-signed"): r.requests})
        # the handshake fails, so no request reaches the target: count the handshakes
        self.assertEqual(t.counts()["total"], 0)
        self.assertEqual(t.counts()["tls_failures"], r.requests)
        self.assert_reports(r)

    def test_self_signed_works_with_verify_tls_false(self):
        t = self.tls_target("self")
        r = self.run_loadc(self.scenario("/ok", extra=", verify_tls: false"), t.url)
        self.assert_bounded(r)
        self.assertEqual(r.rc, 0, r)
        self.assert_errors(r, {})
        self.assertGreater(r.requests, 0)
        self.assertEqual(t.counts()["total"], r.requests)
        self.assert_reports(r)

    def trusting_ca(self):
        """A command prefix that runs loadc with the test CA as the system's trust store (a
        private mount namespace binds it over the CA bundle libcurl was built with): expired
        and wrong-host certificates are only told apart from an unknown issuer when the issuer
        is trusted. Skips where user namespaces are not allowed."""
        bundle = subprocess.run(["curl-config", "--ca"], capture_output=True, text=True)
        path = bundle.stdout.strip() or "/etc/ssl/certs/ca-certificates.crt"
        prefix = ["unshare", "-rm", "sh", "-c", 'mount --bind "$0" "$1" && shift && exec "$@"',
                  self.certs["ca"][0], path]
        probe = subprocess.run(prefix + ["true"], capture_output=True, timeout=30)
        if probe.returncode != 0:
            self.skipTest("cannot trust a test CA here (unshare/mount): %r" % probe.stderr)
        return prefix

    def test_expired_certificate(self):
        t = self.tls_target("expired")
        r = self.run_loadc(self.scenario("/ok"), t.url, prefix=self.trusting_ca())
        self.assert_bounded(r)
        self.assertEqual(r.rc, 1, r)
        self.assert_errors(r, {self.expect("expired"): r.requests})
        self.assertEqual(t.counts()["total"], 0)
        self.assertEqual(t.counts()["tls_failures"], r.requests)
        self.assert_reports(r)

    def test_wrong_host_name(self):
        t = self.tls_target("wronghost")
        r = self.run_loadc(self.scenario("/ok"), t.url, prefix=self.trusting_ca())
        self.assert_bounded(r)
        self.assertEqual(r.rc, 1, r)
        self.assert_errors(r, {self.expect("wronghost"): r.requests})
        # the handshake completes on the target's side (the client checks the name after it)
        # and the client hangs up before sending a request: one connection per request
        self.assertEqual(t.counts()["total"], 0)
        self.assertEqual(t.counts()["connections"], r.requests)
        self.assert_reports(r)


class Process(FaultCase):
    """SIGINT: the summary and every report file are written and valid."""

    def interrupted(self, path, timeout, signals, seen=4):
        sc = self.scenario(path, timeout=timeout, wait="20ms")
        with open(sc, "a") as f:
            f.write("thresholds:\n  - error_rate < 50%\n")
        proc, out_dir, started = self.start(sc, self.target.url, run_time=60, junit=True)
        wait_until(lambda: self.target.counts()["total"] >= seen, "requests")
        for _ in range(signals):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.3)
        r = self.finish(proc, out_dir, started)
        self.assertIn("Aggregated", r.out, r)
        self.assertIn("Response time percentiles", r.out, r)
        self.assertLess(r.doc["run"]["duration_us"], 30e6, r)  # far before the 60 s run time
        self.assert_reports(r, junit=True)
        return r

    def test_sigint_stops_gracefully_with_every_report(self):
        r = self.interrupted("/ok", "1s", 1)
        self.assertEqual(r.rc, 0, r)
        self.assert_errors(r, {})
        # graceful: running requests finished, so the counts agree exactly
        self.assertEqual(self.target.counts()["total"], r.requests, r)

    def test_second_sigint_stops_at_once_with_every_report(self):
        # every request stalls for its 20 s timeout; the first signal waits (stop timeout 3 s),
        # the second ends the run at once: the stalled requests are cut off, never recorded
        r = self.interrupted("/stall", "20s", 2, seen=2)
        self.assertEqual(r.requests, 0, r)
        self.assertGreater(self.target.counts()["total"], 0)
        self.assertLess(r.doc["run"]["duration_us"], STOP_TIMEOUT * 1e6, r)


def wait_until(pred, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("never saw %s within %.0fs" % (what, timeout))
        time.sleep(0.02)


def run_measured(cmd):
    """Runs cmd to its end (bounded); returns ((rc, stdout, stderr), peak RSS in KiB)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        deadline = time.monotonic() + BOUND
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise AssertionError("loadc did not end within %.0fs" % BOUND)
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        return (os.waitstatus_to_exitcode(status), out.read(), err.read()), usage.ru_maxrss


# One concrete class per client and group: FaultsCurl..., later FaultsFast...
for _client in CLIENTS:
    # the fast client speaks plain http only: https classes go to curl ('client: auto')
    for _base in (Matrix, TLS, Process) if _client == "curl" else (Matrix, Process):
        _name = "%s_%s" % (_base.__name__, _client)
        globals()[_name] = type(_name, (_base,), {"CLIENT": _client})
del Matrix, TLS, Process, _base, _client, _name

if __name__ == "__main__":
    unittest.main()
