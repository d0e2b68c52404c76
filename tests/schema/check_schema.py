#!/usr/bin/env python3
"""Schema tests: every scenario in scenarios/ and every tests/config/good/*.yaml must validate
against schemas/loadc.schema.json, and every tests/config/bad/*.yaml whose first line is
`# schema: reject` (a structural error: unknown key, wrong type, two kinds in one task) must
be rejected by it, so that the schema and the compiler cannot drift apart. Files are read with
yaml.safe_load and checked with python3-jsonschema (Draft 7). Prints one line per file and
`N passed, N failed`; exits 1 on any failure. Run from anywhere."""
import glob
import json
import os
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:  # a clear message rather than a traceback
    print("check_schema.py: %s (apt-get install python3-jsonschema python3-yaml)" % e)
    sys.exit(1)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(ROOT, "schemas", "loadc.schema.json")
REJECT_MARK = "# schema: reject"


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def first_line(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.readline().rstrip("\r\n")


def where(error):
    path = "/".join(str(p) for p in error.absolute_path)
    return "/" + path if path else "(top)"


def best_message(error):
    """The most specific error: jsonschema's best_match walks into anyOf/oneOf branches."""
    e = jsonschema.exceptions.best_match([error]) or error
    msg = e.message
    if len(msg) > 160:
        msg = msg[:157] + "..."
    return "%s: %s" % (where(e), msg)


def main():
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)

    accept = sorted(glob.glob(os.path.join(ROOT, "scenarios", "*.yaml")))
    accept += sorted(glob.glob(os.path.join(ROOT, "tests", "config", "good", "*.yaml")))
    reject = [p for p in sorted(glob.glob(os.path.join(ROOT, "tests", "config", "bad", "*.yaml")))
              if first_line(p).strip() == REJECT_MARK]

    passed = failed = 0
    for path, want_valid in [(p, True) for p in accept] + [(p, False) for p in reject]:
        rel = os.path.relpath(path, ROOT)
        try:
            doc = load_yaml(path)
        except yaml.YAMLError as e:
            if want_valid:
                failed += 1
                print("FAIL %s: not YAML: %s" % (rel, str(e).replace("\n", " ")))
            else:
                passed += 1
                print("ok   %s (rejected: not YAML)" % rel)
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if want_valid and errors:
            failed += 1
            print("FAIL %s: rejected by the schema: %s%s" % (
                rel, best_message(errors[0]),
                " (and %d more)" % (len(errors) - 1) if len(errors) > 1 else ""))
        elif not want_valid and not errors:
            failed += 1
            print("FAIL %s: marked '%s' but the schema accepts it" % (rel, REJECT_MARK))
        elif want_valid:
            passed += 1
            print("ok   %s" % rel)
        else:
            passed += 1
            print("ok   %s (rejected: %s)" % (rel, best_message(errors[0])))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
