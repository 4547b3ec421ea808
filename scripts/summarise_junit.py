"""Print one closing line for all test stages from their JUnit XML reports.

Exits 1 when any test failed or when no test ran at all. `--crashed NAME` (repeatable): a stage
that ended before writing its report (pytest failing to start, say); each counts as one failure.
"""

import sys
import xml.etree.ElementTree as ET


def counts(path: str) -> tuple[int, int, int]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    tests = failed = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return tests, failed, skipped


def main(args: list[str]) -> int:
    total = failed = skipped = 0
    crashed, paths = [], []
    while args:
        if args[0] == "--crashed" and len(args) > 1:
            crashed.append(args[1])
            args = args[2:]
        else:
            paths.append(args.pop(0))
    for path in paths:
        try:
            t, f, s = counts(path)
        except (OSError, ET.ParseError) as exc:
            print(f"summary: cannot read {path}: {exc}")
            return 1
        total, failed, skipped = total + t, failed + f, skipped + s
    passed = total - failed - skipped
    failed += len(crashed)
    note = f" (stages with no report: {', '.join(crashed)})" if crashed else ""
    print(f"summary: {passed} passed, {failed} failed, {skipped} skipped{note}")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
