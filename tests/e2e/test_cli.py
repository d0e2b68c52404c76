"""End-to-end tests of the loadc command line: dispatch, help, version, usage errors and exit
codes, run against the real binary (env LOADC)."""
import os
import subprocess
import unittest

LOADC = os.environ.get("LOADC", "loadc")


def loadc(*args, timeout=20):
    p = subprocess.run([LOADC, *args], capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


class HelpAndVersion(unittest.TestCase):
    def test_help_lists_every_command(self):
        rc, out, err = loadc("--help")
        self.assertEqual(rc, 0, err)
        for cmd in ("run", "check", "graph", "schema", "serve", "help", "version"):
            self.assertRegex(out, r"(?m)^  %s\s+\S" % cmd)

    def test_no_arguments_is_a_usage_error(self):
        rc, out, err = loadc()
        self.assertEqual(rc, 2)
        self.assertIn("usage: loadc <command>", err)
        self.assertEqual(out, "")

    def test_help_command_and_help_option_agree(self):
        for cmd in ("run", "check", "graph", "schema", "serve", "version", "help"):
            rc1, out1, _ = loadc("help", cmd)
            rc2, out2, _ = loadc(cmd, "--help")
            rc3, out3, _ = loadc(cmd, "-h")
            self.assertEqual((rc1, rc2, rc3), (0, 0, 0), cmd)
            self.assertEqual(out1, out2, cmd)
            self.assertEqual(out1, out3, cmd)
            self.assertTrue(out1.startswith("usage: loadc %s" % cmd), out1)

    def test_run_help_shows_locust_style_options(self):
        _, out, _ = loadc("help", "run")
        for opt in ("-u, --users N", "-r, --spawn-rate RATE", "-t, --run-time TIME",
                    "-H, --host URL", "-T, --tags TAGS", "-E, --exclude-tags TAGS",
                    "--csv PREFIX", "--html FILE", "--json FILE", "--junit FILE",
                    "--single-user[=CLASS]", "--seed N", "--threads N"):
            self.assertIn(opt, out)

    def test_version_names_the_libraries(self):
        rc, out, _ = loadc("--version")
        self.assertEqual(rc, 0)
        rc2, out2, _ = loadc("version")
        self.assertEqual(out, out2)
        self.assertRegex(out, r"^loadc \d+\.\d+\.\d+\n")
        for lib in ("libcurl", "libuv", "libyaml", "PCRE2", "jansson", "libxml2", "libcsv"):
            self.assertRegex(out, r"(?m)^%s \d+\.\d+" % lib)


class UsageErrors(unittest.TestCase):
    def test_unknown_command_suggests(self):
        rc, out, err = loadc("chek", "x.yaml")
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertEqual(err, "loadc: unknown command 'chek' (did you mean 'check'?)\n"
                              "run 'loadc --help' for the list of commands\n")

    def test_unknown_command_without_suggestion(self):
        rc, _, err = loadc("banana")
        self.assertEqual(rc, 2)
        self.assertTrue(err.startswith("loadc: unknown command 'banana'\n"), err)

    def test_unknown_option_suggests(self):
        rc, _, err = loadc("serve", "--prot", "0")
        self.assertEqual(rc, 2)
        self.assertEqual(err, "loadc serve: unknown option '--prot' (did you mean '--port'?)\n")
        rc, _, err = loadc("run", "x.yaml", "--thraeds", "2")
        self.assertEqual(rc, 2)
        self.assertIn("(did you mean '--threads'?)", err)
        rc, _, err = loadc("--verison")
        self.assertEqual(rc, 2)
        self.assertIn("did you mean '--version'?", err)

    def test_help_for_unknown_command(self):
        rc, _, err = loadc("help", "serv")
        self.assertEqual(rc, 2)
        self.assertIn("did you mean 'serve'?", err)

    def test_bad_option_values(self):
        rc, _, err = loadc("serve", "--port", "70000")
        self.assertEqual(rc, 2)
        self.assertEqual(err, "loadc serve: option '--port': 70000 is out of range (0 to 65535)\n")
        rc, _, err = loadc("serve", "--port")
        self.assertEqual(rc, 2)
        self.assertEqual(err, "loadc serve: option '--port' needs a value (N)\n")
        rc, _, err = loadc("serve", "extra")
        self.assertEqual(rc, 2)
        self.assertEqual(err, "loadc serve: unexpected argument 'extra'\n")

    def test_serve_cannot_bind_a_bad_address(self):
        rc, _, err = loadc("serve", "--host", "not-an-address", "--port", "0")
        self.assertEqual(rc, 3)
        self.assertIn("not-an-address", err)


ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCENARIOS = os.path.join(ROOT, "scenarios")


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


class Check(unittest.TestCase):
    def setUp(self):
        import tempfile
        self.tmp = tempfile.mkdtemp(prefix="loadc-cli-")
        self.good = write(self.tmp, "good.yaml", "users:\n  U:\n    tasks:\n      - get: /\n")
        self.bad = write(self.tmp, "bad.yaml",
                         "users:\n  U:\n    wiat: 1s\n    tasks:\n      - get: /{{ x }}\n")

    def tearDown(self):
        import shutil
        shutil.rmtree(self.tmp)

    def test_every_example_is_valid(self):
        files = sorted(os.path.join(SCENARIOS, f) for f in os.listdir(SCENARIOS)
                       if f.endswith(".yaml"))
        self.assertGreaterEqual(len(files), 8)
        rc, out, err = loadc("check", *files)
        self.assertEqual((rc, err), (0, ""), out)
        self.assertEqual(out, "%d scenarios ok\n" % len(files))

    def test_valid_and_invalid_files_together(self):
        rc, out, _ = loadc("check", self.good, self.bad)
        self.assertEqual(rc, 1)
        self.assertIn(self.bad + ":3:5: error: unknown key 'wiat' (did you mean 'wait'?)\n"
                      "    wiat: 1s\n    ^\n", out)
        self.assertIn(self.bad + ":5:18: error: unknown variable 'x'", out)
        self.assertTrue(out.endswith("2 errors, 0 warnings\n"), out)
        rc, out, _ = loadc("check", "-q", self.good)
        self.assertEqual((rc, out), (0, ""))

    def test_json_format_is_one_document(self):
        import json
        rc, out, _ = loadc("check", "--format", "json", self.good, self.bad)
        self.assertEqual(rc, 1)
        diags = json.loads(out)
        self.assertEqual([(d["line"], d["column"], d["severity"]) for d in diags],
                         [(3, 5, "error"), (5, 18, "error")])
        self.assertEqual(diags[0]["file"], self.bad)
        self.assertEqual(diags[0]["suggestion"], "wait")
        rc, out, _ = loadc("check", "--format", "json", self.good)
        self.assertEqual((rc, json.loads(out)), (0, []))

    def test_github_format_annotates(self):
        rc, out, _ = loadc("check", "--format", "github", self.bad)
        self.assertEqual(rc, 1)
        lines = out.splitlines()
        self.assertEqual(len(lines), 2, out)
        self.assertTrue(lines[0].startswith("::error file=%s,line=3,col=5::unknown key 'wiat'"
                                            % self.bad), lines[0])

    def test_usage_errors(self):
        self.assertEqual(loadc("check")[0], 2)
        rc, _, err = loadc("check", "--format", "xml", self.good)
        self.assertEqual(rc, 2)
        self.assertIn("unknown format 'xml'", err)

    def test_missing_file(self):
        rc, out, _ = loadc("check", os.path.join(self.tmp, "nope.yaml"))
        self.assertEqual(rc, 1)
        self.assertIn("nope.yaml", out)
        self.assertIn("no such file or directory", out)

    def test_tags_filter_can_empty_a_class(self):
        rc, out, _ = loadc("check", "--tags", "nothing", os.path.join(SCENARIOS, "tags.yaml"))
        self.assertEqual(rc, 1)
        self.assertIn("no tasks left after --tags/--exclude-tags", out)


class Graph(unittest.TestCase):
    def test_text_shows_shares_and_probabilities(self):
        rc, out, err = loadc("graph", os.path.join(SCENARIOS, "weighted.yaml"))
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("  Browser: weight 3 (75.00 % of weighted users)\n", out)
        self.assertIn("  ApiClient: weight 1 (25.00 % of weighted users)\n", out)
        self.assertIn("  Monitor: fixed_count 1\n", out)
        self.assertRegex(out, r"62\.50 %  GET /  \(weight 10\)")
        self.assertRegex(out, r"31\.25 %  GET /json  \(weight 5\)")
        self.assertRegex(out, r" 6\.25 %  GET /bytes/\[n\]  \(weight 1\)")
        self.assertNotIn("/status/500", out)  # weight 0 is never picked
        self.assertIn("client: fast", out)

    def test_files_read_are_listed(self):
        import json
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in (("rows.csv", "a\n1\n"), ("up.bin", "x"), ("c.pem", "c"),
                               ("k.pem", "k")):
                with open(os.path.join(tmp, name), "w") as f:
                    f.write(text)
            path = os.path.join(tmp, "s.yaml")
            with open(path, "w") as f:
                f.write("version: 1\nhost: http://127.0.0.1:1\ndata:\n  rows: {csv: rows.csv}\n"
                        "users:\n  U:\n    tasks:\n"
                        "      - post: /upload\n"
                        "        multipart: {file: {path: up.bin}}\n"
                        "        client_cert: {cert: c.pem, key: k.pem}\n")
            rc, out, err = loadc("graph", path)
            self.assertEqual((rc, err), (0, ""))
            self.assertIn("files read:\n  feeder: %s/rows.csv\n" % tmp, out)
            self.assertIn("  multipart file: %s/up.bin\n" % tmp, out)
            self.assertIn("  client certificate: %s/c.pem\n  client key: %s/k.pem\n" % (tmp, tmp), out)
            rc, out, _ = loadc("graph", "--format", "json", path)
            kinds = sorted(f["kind"] for f in json.loads(out)["files"])
            self.assertEqual(kinds, ["client certificate", "client key", "feeder", "multipart file"])
        rc, out, _ = loadc("graph", os.path.join(SCENARIOS, "weighted.yaml"))
        self.assertIn("files read: none\n", out)

    def test_json_and_dot(self):
        import json
        rc, out, _ = loadc("graph", "--format", "json", os.path.join(SCENARIOS, "weighted.yaml"))
        self.assertEqual(rc, 0)
        plan = json.loads(out)
        browser = [c for c in plan["classes"] if c["name"] == "Browser"][0]
        self.assertAlmostEqual(browser["share"], 0.75)
        self.assertEqual([round(t["probability"], 4) for t in browser["tasks"]["tasks"]],
                         [0.625, 0.3125, 0.0625])
        rc, out, _ = loadc("graph", "--format", "dot", os.path.join(SCENARIOS, "weighted.yaml"))
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith("digraph loadc {"), out)
        self.assertIn("62.50 %", out)

    def test_tag_filter_applies(self):
        path = os.path.join(SCENARIOS, "tags.yaml")
        _, full, _ = loadc("graph", path)
        rc, filtered, _ = loadc("graph", "--exclude-tags", "slow", path)
        self.assertEqual(rc, 0)
        self.assertIn("slow", full)
        self.assertLess(len(filtered), len(full))
        self.assertIn("tag filter: --exclude-tags slow", filtered)

    def test_invalid_scenario(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("users: {U: {tasks: []}}\n")
        try:
            rc, out, err = loadc("graph", f.name)
            self.assertEqual((rc, out), (2, ""))
            self.assertIn("has no tasks", err)
        finally:
            os.unlink(f.name)


class Schema(unittest.TestCase):
    def test_prints_the_schema_file(self):
        rc, out, _ = loadc("schema")
        self.assertEqual(rc, 0)
        with open(os.path.join(ROOT, "schemas", "loadc.schema.json")) as f:
            self.assertEqual(out, f.read())


if __name__ == "__main__":
    unittest.main()
