#!/usr/bin/env python3
"""The unit tests' results, read from the TRX files that `dotnet test --logger trx` writes (XML: data, not console
text). build.sh test reports its counts and names its failed tests from them.

    python3 tools/test-results.py counts DIR     "PASSED FAILED SKIPPED" over every *.trx in DIR
    python3 tools/test-results.py failures DIR   each failed test with the first lines of its message and stack

A test is counted by its result's outcome: Passed; NotExecuted (a skipped test: TRX's own counters leave skips out)
is skipped; any other (Failed, Error, Timeout, Aborted, ...) is failed. Exit 1, printing nothing, when DIR holds no
TRX file or one that is not readable. Only the standard library.
"""
import glob
import os
import sys
import xml.etree.ElementTree as ElementTree

NAMESPACE = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
LINES_PER_FAILURE = 14


def results(folder):
    files = sorted(glob.glob(os.path.join(folder, "*.trx")))
    if not files:
        raise ValueError(f"no TRX file in {folder}")
    for file in files:
        for result in ElementTree.parse(file).getroot().iterfind("t:Results/t:UnitTestResult", NAMESPACE):
            yield result


def counts(folder):
    passed = failed = skipped = 0
    for result in results(folder):
        outcome = result.get("outcome")
        if outcome == "Passed":
            passed += 1
        elif outcome == "NotExecuted":
            skipped += 1
        else:
            failed += 1
    return f"{passed} {failed} {skipped}"


def duration(text):
    """A TRX duration (hh:mm:ss.fffffff) as dotnet test's console writes it: [28 ms], [2 s], [1 m 8 s]."""
    hours, minutes, seconds = (text or "0:0:0").split(":")
    total = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if total < 0.001:
        return "[< 1 ms]"
    if total < 1:
        return f"[{int(total * 1000)} ms]"
    if total < 60:
        return f"[{int(total)} s]"
    return f"[{int(total // 60)} m {int(total % 60)} s]"


def failures(folder):
    lines = []
    for result in results(folder):
        if result.get("outcome") in ("Passed", "NotExecuted"):
            continue
        lines.append(f"  Failed {result.get('testName')} {duration(result.get('duration'))}")
        shown = []
        message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=NAMESPACE)
        stack = result.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=NAMESPACE)
        if message:
            shown.append("  Error Message:")
            shown.extend("   " + line for line in message.splitlines())
        if stack:
            shown.append("  Stack Trace:")
            shown.extend("  " + line for line in stack.splitlines())
        lines.extend(shown[:LINES_PER_FAILURE])
    return "\n".join(lines)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("counts", "failures"):
        sys.exit(__doc__)
    try:
        text = counts(sys.argv[2]) if sys.argv[1] == "counts" else failures(sys.argv[2])
    except (ValueError, OSError, ElementTree.ParseError):
        return 1
    if text:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
