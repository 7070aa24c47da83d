#!/usr/bin/env python3
"""check-architecture.py: the rooms of the C code hold (issue 12).

Reads every .c/.h under server/, signaling/ and media/, gives each file its
part (files directly in server/ are the part "server", the composition root;
server/<dir>/ is the part <dir>; signaling/ and media/ are parts), and fails
on:

  circle      an include circle between files of different parts (a .c,
              its .h and its -private.h are one unit), or, in the parts of
              ONE_WAY_INSIDE, a circle of calls between the part's own files;
  private     a *-private.h included from another part;
  face        a header of another part that is not that part's face
              (<part>/<part>.h, or a header in PUBLIC_HEADERS below);
  direction   a part including a part it may not (ALLOWED below);
  file-size   a file over MAX_FILE_LINES lines;
  function    a function over MAX_FUNCTION_LINES lines, counted from its `{`
              at column 0 to the matching `}` at column 0, both included.

  tests/check-architecture.py [--root DIR]   check a tree (default: the repo)
  tests/check-architecture.py --self-test    the checker on its fixtures
                                             (tests/architecture-fixtures/)

Python 3.11 standard library only.  Exit 0: holds; 1: something is wrong.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile

MAX_FILE_LINES = 800
MAX_FUNCTION_LINES = 120
TOP_DIRS = ("server", "signaling", "media")

# Headers other parts may include besides <part>/<part>.h, and why.  Keep it
# short: a part with two faces is two parts.  The composition root has no
# server/server.h: its app, its config and the ICE settings are what the parts
# it wires are handed.
PUBLIC_HEADERS = {
    "server/app.h": "the app every handler is handed (config, store, hub, catalog)",
    "server/config.h": "the settings the transport and the parts are started with",
    "server/ice_servers.h": "the [ice] settings the ICE route turns into credentials",
    "server/audit.h": "the hash-chained audit log every handler and the signaling hooks append to",
}

# Which parts a part may include (directly; its own part always).  The root
# wires every part together, so it may include every face.  Anything not
# listed here is an error until someone decides where it belongs.
ALLOWED = {
    "media": set(),
    "signaling": {"media"},
    "clock": set(),
    # GET /metrics: the registry and its text format, used by whoever counts;
    # it uses nothing of the others (its families are its own table).
    "metrics": set(),
    "records": set(),                 # pure clinical code: nothing of the server
    "store": {"clock", "records",     # the adjustment rules, re-checked in the transaction
              "metrics"},             # how long transactions take, timed in store.c
    "accounts": {"clock"},
    # the store's worker threads: connections of the store, nothing above it
    "storepool": {"store"},
    "api": {"server", "clock", "records", "store", "accounts",
            "storepool",              # the REST calls run on the store's workers
            "http",                   # the request and response types, the deferred answer
            "notify",                 # a booking queues its invitation; the messages' routes
            "metrics"},               # sign-in failures and lockouts, counted where decided
    # invitations and reminders: the outbox (store), the clock, the root's
    # config ([mail], [sms], [notify]); nothing of api, http or signaling.
    # metrics: failed sends counted as they happen; storepool: the sender's
    # reads and writes run on the store's workers.
    "notify": {"server", "clock", "store", "storepool", "metrics"},
    # never api, never store; metrics: it counts requests by route and status
    # and serves the [metrics] listener
    "http": {"server", "clock", "signaling", "media", "metrics"},
    "cli": {"server", "clock", "accounts", "store", "records"},
    # this node among those sharing PostgreSQL (issue 18): the app it is
    # handed, the leases (store), its heartbeat as a store job, the hub's
    # live visits (signaling), the pages' CSP naming the other nodes (http),
    # and its heartbeats, leases and fences counted as they happen (metrics)
    "cluster": {"server", "store", "storepool", "signaling", "http", "metrics"},
    "server": {"media", "signaling", "clock", "records", "store", "accounts", "api",
               "http", "cli", "notify", "metrics", "storepool", "cluster"},
}

# Parts whose files must also call one way among themselves (file A uses file
# B when A names a function B defines).  An include graph cannot see such a
# knot: conn.c and room.c both include room-private.h, and each calls the
# other.  Issue 12 asks signaling to be untangled (its outgoing-message
# helpers in a file of their own); a part joins this list once it is.
ONE_WAY_INSIDE = {"signaling"}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
# A GNU-style definition: the name at column 0, then " (" (the return type is
# on the line above).
DEF_NAME_RE = re.compile(r"^([A-Za-z_]\w*)\s*\(")
IDENT_RE = re.compile(r"[A-Za-z_]\w*")


def strip_comments_and_strings(text):
    """Blanks out comments, string and character literals, keeping newlines
    (so line numbers and column-0 braces stay where they are)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


class Source:
    def __init__(self, root, rel):
        self.rel = rel
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            self.text = f.read()
        self.lines = self.text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.code = strip_comments_and_strings(self.text).split("\n")
        parts = rel.split("/")
        if parts[0] == "server":
            self.part = "server" if len(parts) == 2 else parts[1]
        else:
            self.part = parts[0]
        base = os.path.basename(rel)
        stem = base.rsplit(".", 1)[0]
        if stem.endswith("-private"):
            stem = stem[: -len("-private")]
        self.unit = os.path.dirname(rel) + "/" + stem
        self.private = base.endswith("-private.h")
        self.includes = []   # (line number, written path, resolved rel path or None)
        for no, line in enumerate(self.lines, 1):
            m = INCLUDE_RE.match(line)
            if m:
                self.includes.append((no, m.group(1), None))


def part_dir(part):
    return part if part in ("signaling", "media") else (
        "server" if part == "server" else "server/" + part)


def is_face(rel, part):
    return rel == part_dir(part) + "/" + part + ".h" or rel in PUBLIC_HEADERS


def load_tree(root):
    files = {}
    for top in TOP_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith((".c", ".h")):
                    rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
                    files[rel] = Source(root, rel)
    return files


def resolve_includes(files, root, problems):
    for src in files.values():
        resolved = []
        for no, written, _ in src.includes:
            # As the compiler does: next to the file first, then the top
            # include directory (the repository root).
            target = None
            for cand in (os.path.normpath(os.path.join(os.path.dirname(src.rel), written)),
                         os.path.normpath(written)):
                cand = cand.replace(os.sep, "/")
                if cand in files:
                    target = cand
                    break
                if os.path.exists(os.path.join(root, cand)):
                    target = ""   # outside the checked tree (e.g. tests/)
                    break
            if target is None:
                problems.append(("include", f'{src.rel}:{no}: #include "{written}" names no file '
                                 "in the tree (the checker cannot follow it)"))
            resolved.append((no, written, target or None))
        src.includes = resolved


def check_includes(files, problems):
    for src in files.values():
        for no, written, target in src.includes:
            if not target:
                continue
            dst = files[target]
            if dst.part == src.part:
                continue
            where = f"{src.rel}:{no}"
            if dst.private:
                problems.append(("private", f'{where}: part "{src.part}" includes {target}, '
                                 f'the private header of part "{dst.part}"; use its face '
                                 f"{part_dir(dst.part)}/{dst.part}.h"))
            elif not is_face(target, dst.part):
                problems.append(("face", f'{where}: part "{src.part}" includes {target}, which '
                                 f'is not the face of part "{dst.part}" '
                                 f"({part_dir(dst.part)}/{dst.part}.h); move what it needs "
                                 "there, or justify the header in PUBLIC_HEADERS"))
            allowed = ALLOWED.get(src.part)
            if allowed is None:
                problems.append(("direction", f'{where}: part "{src.part}" is not in the '
                                 "ALLOWED table of tests/check-architecture.py: say which "
                                 "parts it may use"))
            elif dst.part not in allowed:
                may = ", ".join(sorted(allowed)) or "nothing of the others"
                problems.append(("direction", f'{where}: part "{src.part}" may not include '
                                 f'part "{dst.part}" ({target}); it may use: {may}'))


def strongly_connected(graph):
    """Tarjan's algorithm, iterative; returns the components of more than
    one node, each sorted."""
    index, low, on_stack, stack, comps = {}, {}, set(), [], []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    comps.append(sorted(comp))
    return comps


def cycle_in(graph, comp):
    """A shortest cycle through the component's first node, as a list of nodes
    ending where it started."""
    members = set(comp)
    start = comp[0]
    prev = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in members:
                continue
            if nxt == start:
                path = [node]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if nxt not in prev:
                prev[nxt] = node
                queue.append(nxt)
    return comp + [start]


def check_include_circles(files, problems):
    """Units (a .c with its .h and -private.h) joined by #include; a circle
    that crosses parts means two parts each need the other."""
    graph, why = {}, {}
    for src in files.values():
        graph.setdefault(src.unit, set())
        for no, _, target in src.includes:
            if target and files[target].unit != src.unit:
                graph[src.unit].add(files[target].unit)
                why.setdefault((src.unit, files[target].unit), f"{src.rel}:{no} → {target}")
    part_of = {src.unit: src.part for src in files.values()}
    for comp in strongly_connected(graph):
        if len({part_of[u] for u in comp}) < 2:
            continue
        path = cycle_in(graph, comp)
        steps = "; ".join(why[(a, b)] for a, b in zip(path, path[1:]))
        problems.append(("circle", "include circle across parts: " + " → ".join(
            f"{u} ({part_of[u]})" for u in path) + f"  [{steps}]"))


def function_definitions(src):
    """(name, `{` line, `}` line, static, line of the name) of each function:
    a `{` at column 0 whose
    signature (the lines above, back to the previous blank or `}` line) names
    it; the body ends at the next `}` at column 0."""
    out = []
    code = src.code
    i = 0
    while i < len(code):
        if code[i].startswith("{"):
            name = None
            j = i - 1
            sig = []
            while j >= 0 and code[j].strip() and not code[j].startswith(("}", "#")):
                sig.insert(0, code[j])
                j -= 1
            text = " ".join(sig)
            at = i + 1
            if "=" not in text.split("(", 1)[0]:
                for n, line in enumerate(sig):
                    m = DEF_NAME_RE.match(line)
                    if m:
                        name, at = m.group(1), j + 2 + n
                        break
                if name is None:
                    m = re.search(r"([A-Za-z_]\w*)\s*\([^()]*(\([^()]*\)[^()]*)*\)\s*$", text)
                    name = m.group(1) if m else None
            k = i + 1
            while k < len(code) and not code[k].startswith("}"):
                k += 1
            if name:
                static = bool(re.match(r"\s*(static|G_GNUC_\w+\s+static)\b", text))
                out.append((name, i + 1, k + 1, static, at))
            i = k + 1
        else:
            i += 1
    return out


def check_call_circles(files, problems):
    """Within a part of ONE_WAY_INSIDE: file A uses file B when A names a function B defines
    (and does not define itself).  A circle of those is a knot that a reader
    cannot take apart one file at a time: conn.c calling room.c calling
    conn.c.  Units as for includes (a .c with its own headers)."""
    by_part = {}
    for src in files.values():
        if src.rel.endswith(".c"):
            by_part.setdefault(src.part, []).append(src)
    for part, srcs in sorted(by_part.items()):
        if part not in ONE_WAY_INSIDE:
            continue
        defined = {}
        for src in srcs:
            src.defs = function_definitions(src)
            for name, _, _, static, _ in src.defs:
                if not static:
                    defined.setdefault(name, src.unit)
        graph, why = {}, {}
        for src in srcs:
            graph.setdefault(src.unit, set())
            own = {d[0] for d in src.defs}
            for no, line in enumerate(src.code, 1):
                for ident in IDENT_RE.findall(line):
                    unit = defined.get(ident)
                    if unit and unit != src.unit and ident not in own:
                        graph[src.unit].add(unit)
                        why.setdefault((src.unit, unit), f"{src.rel}:{no} uses {ident}")
        for comp in strongly_connected(graph):
            path = cycle_in(graph, comp)
            steps = "; ".join(why[(a, b)] for a, b in zip(path, path[1:]))
            knot = f" (the knot: {', '.join(comp)})" if len(comp) > len(path) - 1 else ""
            problems.append(("circle", f'call circle inside part "{part}": '
                             + " → ".join(path) + f"  [{steps}]{knot}; move what both "
                             "need into a file of its own"))


def check_sizes(files, problems):
    for src in files.values():
        if len(src.lines) > MAX_FILE_LINES:
            problems.append(("file-size", f"{src.rel}: {len(src.lines)} lines (at most "
                             f"{MAX_FILE_LINES}); split it along what its parts do"))
        defs = getattr(src, "defs", None) or function_definitions(src)
        for name, first, last, _, at in defs:
            length = last - first + 1
            if length > MAX_FUNCTION_LINES:
                problems.append(("function", f"{src.rel}:{at}: {name}() is {length} lines "
                                 f"(at most {MAX_FUNCTION_LINES}); extract helpers"))


def check(root):
    files = load_tree(root)
    problems = []
    if not files:
        problems.append(("include", f"{root}: no .c or .h files under "
                         + ", ".join(d + "/" for d in TOP_DIRS)))
        return files, problems
    resolve_includes(files, root, problems)
    check_includes(files, problems)
    check_include_circles(files, problems)
    check_call_circles(files, problems)
    check_sizes(files, problems)
    return files, problems


def report(root, files, problems, out):
    parts = sorted({s.part for s in files.values()})
    if not problems:
        print(f"architecture holds: {len(files)} files in {len(parts)} parts "
              f"({', '.join(parts)})", file=out)
        return 0
    print(f"architecture check: {len(problems)} problem(s) in {root}", file=out)
    for kind, text in problems:
        print(f"  [{kind}] {text}", file=out)
    return 1


# What the fixtures must make the checker say: every rule fires on the bad
# tree, nothing on the good one.
SELF_TEST_EXPECT = [
    ("circle", "include circle across parts"),
    ("circle", 'call circle inside part "signaling"'),
    ("private", "server/http/http.c:"),
    ("face", "server/api/api-helpers.h"),
    ("direction", 'part "records" may not include part "store"'),
    ("direction", 'part "http" may not include part "api"'),
    ("file-size", "media/huge.c"),
    ("function", "media/long.c:4: media_long_function() is 121 lines"),
]


def self_test(here):
    fixtures = os.path.join(here, "architecture-fixtures")
    ok = True
    # The file over the size limit is written here rather than kept in the
    # tree: an 801-line file of blank lines would itself be a file a reader
    # trips over, and it must follow MAX_FILE_LINES if the limit changes.
    with tempfile.TemporaryDirectory(prefix="arch-self-test-") as tmp:
        bad_root = os.path.join(tmp, "bad")
        shutil.copytree(os.path.join(fixtures, "bad"), bad_root)
        with open(os.path.join(bad_root, "media", "huge.c"), "w") as f:
            f.write("/* Over the file limit. */\n" + "\n" * MAX_FILE_LINES)
        _, bad = check(bad_root)
        bad = [(k, t.replace(tmp + os.sep, "")) for k, t in bad]
    for kind, needle in SELF_TEST_EXPECT:
        if not any(k == kind and needle in text for k, text in bad):
            print(f"self-test: the bad fixture should give [{kind}] ...{needle}...: not said",
                  file=sys.stderr)
            ok = False
    unexpected = [p for p in bad if not any(p[0] == k and n in p[1] for k, n in SELF_TEST_EXPECT)]
    for kind, text in unexpected:
        print(f"self-test: the bad fixture gave an unexpected [{kind}] {text}", file=sys.stderr)
        ok = False
    files, good = check(os.path.join(fixtures, "good"))
    for kind, text in good:
        print(f"self-test: the good fixture should hold, but: [{kind}] {text}", file=sys.stderr)
        ok = False
    if not any(name == "media_ok_function" and last - first + 1 == MAX_FUNCTION_LINES
               for s in files.values() for name, first, last, _, _ in function_definitions(s)):
        print("self-test: media_ok_function() in the good fixture should measure "
              f"{MAX_FUNCTION_LINES} lines", file=sys.stderr)
        ok = False
    if ok:
        print(f"self-test: {len(SELF_TEST_EXPECT)} faults found in the bad fixture, "
              f"the good fixture holds ({len(files)} files)")
    return 0 if ok else 1


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.dirname(here),
                    help="the tree to check (default: this repository)")
    ap.add_argument("--self-test", action="store_true",
                    help="check the checker on tests/architecture-fixtures/")
    args = ap.parse_args()
    if args.self_test:
        return self_test(here)
    files, problems = check(args.root)
    return report(args.root, files, problems, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
