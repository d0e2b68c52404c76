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


if __name__ == "__main__":
    unittest.main()
