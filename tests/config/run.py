#!/usr/bin/env python3
"""Config tests: every tests/config/bad/NAME.yaml is checked with `loadc check` and its output
must equal bad/NAME.out exactly (exit code 1); every good/NAME.yaml must be valid (exit 0, and
its output must equal good/NAME.out when that file exists, for warnings). Options given in a
first-line comment `# args: --tags a` are passed to loadc check. Run from anywhere; paths in the
output are relative to tests/config. `--update` rewrites the .out files (review the diff)."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LOADC = os.environ.get("LOADC", "loadc")


def args_of(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f.readlines()[:3]:
            if line.startswith("# args:"):
                return line[len("# args:"):].split()
    return []


def run(rel):
    p = subprocess.run([LOADC, "check", *args_of(os.path.join(HERE, rel)), rel], cwd=HERE,
                       capture_output=True, text=True, timeout=30,
                       env={**os.environ, "NO_COLOR": "1", "LOADC_TEST_VAR": "from-env"})
    return p.returncode, p.stdout + p.stderr


def main():
    update = "--update" in sys.argv
    passed = failed = 0
    for kind, want_rc in (("bad", 1), ("good", 0)):
        folder = os.path.join(HERE, kind)
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".yaml"):
                continue
            rel = os.path.join(kind, name)
            expected_path = os.path.join(HERE, rel[:-5] + ".out")
            rc, out = run(rel)
            if update and (kind == "bad" or out.strip() not in ("", "1 scenario ok")):
                with open(expected_path, "w", encoding="utf-8") as f:
                    f.write(out)
            problems = []
            if rc != want_rc:
                problems.append("exit code %d, want %d" % (rc, want_rc))
            if os.path.exists(expected_path):
                with open(expected_path, encoding="utf-8") as f:
                    want = f.read()
                if out != want:
                    problems.append("output differs:\n--- want\n%s--- got\n%s" % (want, out))
            elif kind == "bad":
                problems.append("no expected output %s" % os.path.relpath(expected_path, HERE))
            elif out != "1 scenario ok\n":
                problems.append("unexpected output:\n%s" % out)
            if problems:
                failed += 1
                print("FAIL %s: %s" % (rel, "\n".join(problems)))
            else:
                passed += 1
                print("ok   %s" % rel)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
