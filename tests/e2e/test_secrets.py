"""test_secrets.py: secrets never appear in what loadc prints or writes (issue 9): the value of
a variable marked `secret: true` (in a failure message, a log step, the URL and the Authorization
header it is sent in) and the values of credential headers quoted by a failing check (Set-Cookie,
Authorization) are absent from stdout, stderr, --single-user lines and every report file, while
the same run without `secret: true` shows the value (so the test can fail).

Run: LOADC=/path/to/loadc /usr/bin/python3 -m unittest -v test_secrets   (from tests/e2e)
"""

import os
import shutil
import subprocess
import tempfile
import unittest

from harness import Server, find_loadc

LOADC = find_loadc()
SECRET = "TOPSECRET-93f1c"
COOKIE = "sessval-77ab2"
SCENARIO = """\
version: 1
name: secrets
variables:
  api_key: {value: "%s", secret: %s}
users:
  U:
    tasks:
      - steps:
          - log: "using key {{ vars.api_key }}"
          - get: "/echo?key={{ vars.api_key }}"
            name: /echo
            headers: {Authorization: "Bearer {{ vars.api_key }}"}
            check:
              status: 299
              message: "bad key {{ vars.api_key }}"
          - get: /cookies/set?session=%s
            name: /cookies/set
            check:
              headers:
                set-cookie: {equals: nope}
"""


class SecretsCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="loadc-secrets-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def run_all(self, secret):
        path = os.path.join(self.tmp, "s.yaml")
        with open(path, "w") as f:
            f.write(SCENARIO % (SECRET, "true" if secret else "false", COOKIE))
        out = os.path.join(self.tmp, "out")
        texts = []
        for args in (["-u", "2", "-r", "10", "-i", "6", "--csv", os.path.join(out, "r"),
                      "--json", os.path.join(out, "r.json"), "--html", os.path.join(out, "r.html"),
                      "--junit", os.path.join(out, "r.xml")],
                     ["--single-user", "-i", "3"]):
            p = subprocess.run([LOADC, "run", path, "-H", self.server.url] + args,
                               capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
            self.assertEqual(p.returncode, 1, p.stderr)  # the checks fail on purpose
            texts += [p.stdout, p.stderr]
        for name in sorted(os.listdir(out)):
            with open(os.path.join(out, name), errors="replace") as f:
                texts.append(f.read())
        return "\n".join(texts)

    def test_secrets_are_not_shown(self):
        text = self.run_all(secret=True)
        self.assertNotIn(SECRET, text)
        self.assertNotIn(COOKIE, text)
        self.assertIn("bad key ***", text)
        self.assertIn("using key ***", text)
        self.assertIn("check header set-cookie: got *** (a credential, not shown)", text)
        # the server did receive the secret: it was sent, only not shown
        self.assertTrue(any(SECRET in t for t in self.server.stats()["targets"]))

    def test_set_values_are_not_stored(self):
        path = os.path.join(self.tmp, "s.yaml")
        with open(path, "w") as f:
            f.write(SCENARIO % (SECRET, "true", COOKIE))
        other = "SET-ON-THE-COMMAND-LINE-41"
        out = os.path.join(self.tmp, "r.json")
        p = subprocess.run([LOADC, "run", path, "-H", self.server.url, "-i", "3", "--set",
                            "api_key=" + other, "--json", out, "--html", out + ".html"],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 1, p.stderr)
        for name in (out, out + ".html"):
            with open(name) as f:
                text = f.read()
            self.assertNotIn(other, text)
            self.assertIn("NAME=(hidden)", text)
        self.assertNotIn(other, p.stdout + p.stderr)
        self.assertTrue(any(other in t for t in self.server.stats()["targets"]))

    def test_without_secret_the_value_shows(self):
        text = self.run_all(secret=False)
        self.assertIn("bad key " + SECRET, text)
        self.assertIn("using key " + SECRET, text)
        self.assertNotIn(COOKIE, text)  # credential headers are never quoted


if __name__ == "__main__":
    unittest.main()
