"""test_report_html.py: end-to-end tests of `loadc run --html` (issue 6) against `loadc serve`.

A real run of a few seconds (several names, one endpoint that always fails) writes its report
into a directory that does not exist yet; the tables must hold exactly what the server counted
(the run ends with -t and a stop timeout far longer than any task, so no request is cut off),
names are escaped, and Debian's headless Chromium must load the page without a console message
and draw every chart series with non-empty geometry (the report's inline script measures each
series with getTotalLength/getBBox and writes the figures into <body data-chart-*>, which
--dump-dom shows). The Chromium part is skipped only when no chromium binary is installed.
Also: the report after SIGINT, `output: {html: F}` and the command line winning over it, and an
unwritable path refused before any request is sent (exit 3).

Run: LOADC=/path/to/loadc /usr/bin/python3 -m unittest -v test_report_html   (from tests/e2e)
"""

import html.parser
import os
import re
import shutil
import signal
import subprocess
import time
import unittest

from test_run import RunCase

CHROMIUM_TIMEOUT = 90.0  # seconds: the bound on one headless Chromium call

SCENARIO = """
    name: "shop <b>&\\"'"
    users:
      Shopper:
        wait: {constant: 20ms}
        tasks:
          - get: /json
            weight: 3
          - get: /bytes/100
            name: "bytes <b>&\\"'"
          - get: /status/500
          - post: /echo
            json: {u: "{{ user_id() }}"}
    """


class Tables(html.parser.HTMLParser):
    """Every <table class="X"> as X -> list of rows (lists of cell texts); and <body>'s
    attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self.body = {}, {}
        self._table = self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        elif tag == "table":
            self._table = self.tables.setdefault(a.get("class", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(text):
    p = Tables()
    p.feed(text)
    p.close()
    return p


class HtmlReport(RunCase):

    def read(self, path):
        with open(path, encoding="utf-8") as f:
            return f.read()

    def assert_tables_match_server(self, page, s):
        rows = parse(page).tables["requests"]
        self.assertEqual(rows[0][:4], ["Type", "Name", "# Requests", "# Fails"])
        mine = {}
        for r in rows[1:-1]:
            mine["%s %s" % (r[0], r[1])] = (int(r[2]), int(r[3]))
        # the server counts by target; loadc's name for /bytes/100 is the scenario's
        name = "bytes <b>&\"'"
        want = {k: v for k, v in s["requests"].items()}
        want["GET " + name] = want.pop("GET /bytes/100")
        self.assertEqual({k: v[0] for k, v in mine.items()}, want)
        self.assertEqual(mine["GET /status/500"][1], s["requests"]["GET /status/500"])
        self.assertEqual(sum(v[1] for v in mine.values()), mine["GET /status/500"][1])
        self.assertEqual(rows[-1][1], "Aggregated")
        self.assertEqual(int(rows[-1][2]), s["total"])

    def test_report_of_a_run_loads_in_chromium(self):
        out = os.path.join(self.tmp, "new", "dir", "report.html")
        o = self.run_loadc(SCENARIO, "-u", 4, "-r", 20, "-t", "3s", "-s", "10s",
                           "--only-summary", "--html", out)
        self.assertEqual(o.rc, 1, o)  # /status/500 fails
        s = self.stats()
        self.assertGreater(s["requests"]["GET /status/500"], 0, s)
        page = self.read(out)
        self.assertEqual(os.listdir(os.path.dirname(out)), ["report.html"])  # no temp file
        self.assert_tables_match_server(page, s)
        # escaped: the raw name never appears, the escaped one does
        self.assertNotIn("<b>&", page)
        self.assertIn("bytes &lt;b&gt;&amp;&quot;&#39;", page)
        self.assertIn("shop &lt;b&gt;&amp;&quot;&#39;", page)
        self.assertIn("HTTPError 500 for /status/500", page)
        # nothing outside the file: no resource attributes, no URL but the host (as text)
        self.assertNotRegex(page, r"(?i)\b(src|href)\s*=|url\(|@import|<link|https://")
        for url in re.findall(r"https?://[^\s<\"']*", page):
            self.assertTrue(url.startswith(self.server.url), url)
        # charts: 5 series drawn with history
        self.assertEqual(page.count('<polyline class="series"'), 5)
        self.chromium_check(out)

    def chromium_check(self, path):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            self.skipTest("chromium is not installed (.ci/deps test installs it)")
        profile = os.path.join(self.tmp, "chromium-profile")
        cmd = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-extensions", "--user-data-dir=" + profile,
               "--enable-logging=stderr", "--v=0", "--dump-dom", "file://" + path]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            self.fail("chromium did not end within %.0fs" % CHROMIUM_TIMEOUT)
        # every console message (console.*, uncaught exceptions) is logged as ":CONSOLE"
        bad = [l for l in p.stderr.splitlines() if ":CONSOLE" in l or "Uncaught" in l]
        self.assertEqual(bad, [], p.stderr[-4000:])
        self.assertEqual(p.returncode, 0, p.stderr[-4000:])
        body = parse(p.stdout).body
        self.assertEqual(body.get("data-chart-series"), "5", p.stdout[:2000])
        self.assertEqual(body.get("data-chart-drawn"), "5", body)
        lengths = dict(x.split(":") for x in body["data-chart-lengths"].split())
        self.assertEqual(sorted(lengths), ["fps", "p50", "p95", "rps", "users"])
        for k, v in lengths.items():
            self.assertGreater(float(v), 0, (k, body))

    def test_report_written_after_sigint(self):
        out = os.path.join(self.tmp, "int", "r.html")
        proc = self.start_loadc(SCENARIO, "-u", 2, "-r", 20, "-t", "60s", "--only-summary",
                                "--html", out)
        self.server.wait_stats(lambda s: s["total"] >= 20, timeout=10.0)
        time.sleep(1.5)  # at least one history row
        proc.send_signal(signal.SIGINT)
        o = self.finish(proc, 30.0)
        self.assertIn(o.rc, (0, 1), o)
        page = self.read(out)
        self.assertRegex(page, r"<th>End reason</th><td>interrupted")
        rows = parse(page).tables["requests"]
        self.assertEqual(rows[-1][1], "Aggregated")
        self.assertGreater(int(rows[-1][2]), 0)

    def test_output_html_in_scenario_and_command_line_wins(self):
        text = SCENARIO.rstrip(" ") + "    output: {html: %s}\n" % os.path.join(self.tmp, "from-yaml.html")
        o = self.run_loadc(text, "-u", 1, "-r", 10, "-i", 5, "--only-summary")
        self.assertIn(o.rc, (0, 1), o)  # 1 when a pick hit /status/500
        self.assertIn("</html>", self.read(os.path.join(self.tmp, "from-yaml.html")))
        os.unlink(os.path.join(self.tmp, "from-yaml.html"))
        cli = os.path.join(self.tmp, "cli.html")
        o = self.run_loadc(text, "-u", 1, "-r", 10, "-i", 5, "--only-summary", "--html", cli)
        self.assertIn(o.rc, (0, 1), o)
        self.assertIn("</html>", self.read(cli))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "from-yaml.html")))

    def test_unwritable_path_refused_before_the_run(self):
        blocker = os.path.join(self.tmp, "file")
        with open(blocker, "w") as f:
            f.write("x")
        for path in (os.path.join(blocker, "r.html"), self.tmp):
            o = self.run_loadc(SCENARIO, "-u", 1, "-r", 10, "-t", "2s", "--html", path)
            self.assertEqual(o.rc, 3, o)
            self.assertRegex(o.err, r"loadc run: --html: cannot (create directory|write) '")
            self.assertEqual(self.stats()["total"], 0)  # nothing was sent
        self.assertEqual(sorted(os.listdir(self.tmp)), ["file", "scenario.yaml"])


if __name__ == "__main__":
    unittest.main()
