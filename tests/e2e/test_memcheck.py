"""test_memcheck.py: `loadc run` and `loadc report` under valgrind memcheck (issue 9).

A short run (3 s, 4 users on 2 worker threads) against `loadc serve` that goes through most of
the engine: a feeder (CSV, per user), variables (a secret one), a setup step, templates and
their functions, checks (status, JSON conditions, a regex, body_contains, a check that fails
with a templated message), captures (JSON, regex, cookie, header, XPath, pick all), a loop
over a captured list with a condition, redirects, cookies, a 500 and a dropped connection, and
every report file. Then `loadc report` re-renders the JSON result. Both must be clean:
`--error-exitcode` makes any invalid read or write, use of uninitialised memory, bad free, or
definite/indirect leak exit 99 (loadc's own exit code is 0 here: --exit-code-on-error 0).
tests/valgrind.supp suppresses only PCRE2's JIT code (frames outside any object).

Skipped when valgrind is not installed (`.ci/deps test` installs it) or when loadc is built
with a sanitizer (valgrind cannot run those). Under valgrind the run takes 10-20 s.

Run: LOADC=/path/to/loadc /usr/bin/python3 -m unittest -v test_memcheck
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import unittest

from harness import Server, find_loadc

LOADC = find_loadc()
VALGRIND = shutil.which("valgrind")
SUPP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    "valgrind.supp")
VG_ERROR = 99
TIMEOUT = 90.0


def sanitized(path):
    """True when the executable carries AddressSanitizer or UBSan (valgrind cannot run it)."""
    with open(path, "rb") as f:
        data = f.read()
    return b"__asan_init" in data or b"__ubsan_handle" in data


SCENARIO = """\
version: 1
name: memcheck
variables:
  greeting: hello
  secret_pw: {value: pw, secret: true}
data:
  accounts: {csv: accounts.csv, order: sequential, row: per_user}
setup:
  - post: /login
    json: {user: admin, password: "{{ vars.secret_pw }}"}
    capture: {admin_token: {json: $.token}}
load:
  users: 4
  spawn_rate: 4
  run_time: 3s
  stop_timeout: 3s
users:
  U:
    wait: {between: [20ms, 60ms]}
    on_start:
      - post: /login
        form: {user: "{{ data.accounts.user }}", password: "{{ data.accounts.password }}"}
        capture:
          token: {json: $.token}
          session: {cookie: session}
    tasks:
      - name: items
        steps:
          - get: /items
            query: {page: "{{ random_int(1, 5) }}", per_page: 5}
            auth: {bearer: "{{ token }}"}
            check:
              status: "2xx"
              is_json: true
              json: {"$.items": {len: 5}, "$.user": {matches: "^[a-z]+$"}}
              body_matches: '"per_page":\\s*5'
            capture:
              ids: {json: "$.items[*].id", pick: all}
              first: {regex: '"name": *"([^"]+)"'}
          - loop:
              over: ids
              as: id
              steps:
                - if: "id <= 3"
                  then:
                    - get: /items/{{ id }}
                      name: /items/[id]
                      auth: {bearer: "{{ token }}"}
      - name: echo
        post: /echo
        headers: {X-Session: "{{ session }}"}
        json:
          g: "{{ vars.greeting }}, {{ data.accounts.user }}"
          u: "{{ uuid() }}"
          t: "{{ iso_time() }}"
          b: "{{ base64(data.accounts.user) }}"
          q: "{{ url_encode(first) }}"
        check: {body_contains: hello}
      - name: html
        get: /
        capture:
          title: {xpath: //title/text()}
          ct: {header: Content-Type}
      - get: /status/500
        name: fails
      - get: /drop
        name: drop
      - get: /items/1000
        auth: {bearer: "{{ token }}"}
        name: check fails
        check: {status: 200, message: "item {{ response.status }}"}
      - get: /redirect/2
      - get: /cookies/set?theme=dark
        name: cookies
        capture: {theme: {cookie: theme}}
"""


@unittest.skipIf(VALGRIND is None, "valgrind is not installed")
@unittest.skipIf(sanitized(LOADC), "loadc is built with a sanitizer: valgrind cannot run it")
class MemcheckTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="loadc-memcheck-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.server = Server()
        self.addCleanup(self.server.kill)

    def valgrind(self, *args):
        """Runs loadc ARGS under memcheck; returns (exit code, stdout, stderr)."""
        cmd = [VALGRIND, "-q", "--error-exitcode=%d" % VG_ERROR, "--leak-check=full",
               "--errors-for-leak-kinds=definite,indirect", "--num-callers=30",
               "--suppressions=" + SUPP, LOADC] + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                           stdin=subprocess.DEVNULL, cwd=self.tmp)
        return p.returncode, p.stdout, p.stderr

    def assert_clean(self, rc, out, err):
        report = "\n".join(l for l in err.splitlines() if re.match(r"==\d+==", l))
        self.assertEqual(report, "", "valgrind reported:\n" + report)
        self.assertEqual(rc, 0, "stdout:\n%s\nstderr:\n%s" % (out[-3000:], err[-3000:]))

    def test_run_and_report_are_clean(self):
        with open(os.path.join(self.tmp, "accounts.csv"), "w") as f:
            f.write("user,password\nalice,pw1\nbob,pw2\ncarol,pw3\n")
        with open(os.path.join(self.tmp, "mc.yaml"), "w") as f:
            f.write(textwrap.dedent(SCENARIO))
        rc, out, err = self.valgrind(
            "run", "mc.yaml", "-H", self.server.url, "--threads", "2", "--only-summary",
            "--exit-code-on-error", "0", "--json", "r.json", "--html", "r.html",
            "--csv", "r", "--junit", "r.xml")
        self.assert_clean(rc, out, err)

        # the run went where it should: every kind of request ran, the failing ones failed
        with open(os.path.join(self.tmp, "r.json")) as f:
            res = json.load(f)
        by_name = {e["name"]: e for e in res["entries"]}
        for name in ("/items", "/items/[id]", "echo", "html", "fails", "drop", "check fails",
                     "/redirect/2", "cookies"):
            self.assertGreater(by_name[name]["num_requests"], 0, (name, out))
        for name in ("fails", "drop", "check fails"):
            self.assertEqual(by_name[name]["num_failures"], by_name[name]["num_requests"],
                             (name, out))
        for name in ("/items", "echo", "html", "cookies"):
            self.assertEqual(by_name[name]["num_failures"], 0, (name, out))

        rc, out, err = self.valgrind("report", "r.json", "--html", "r2.html", "--csv", "r2",
                                     "--junit", "r2.xml")
        self.assert_clean(rc, out, err)
        self.assertIn("Aggregated", out)


if __name__ == "__main__":
    unittest.main()
