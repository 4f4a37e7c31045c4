#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run a tdxsim command with --json, check its exact exit status and validate
# what it printed on stdout against the command's JSON Schema
# (docs/schemas/COMMAND.schema.json, with common.schema.json for the shared
# definitions), using the jsonschema package (Debian's python3-jsonschema,
# which scripts/deps.sh installs).
#
#   check_json.py SCHEMADIR COMMAND STATUS [--lines] -- PROGRAM [ARGS...]
#   check_json.py SCHEMADIR --schemas
#
# --lines: the output is JSON lines (tdxsim fuzz), each one validated.
# --schemas: check that every schema is a valid 2020-12 schema and that
# every command tdxsim lists (tdxsim help --json) has one.
import json
import os
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    print("check_json: the jsonschema package is missing "
          "(apt-get install python3-jsonschema; scripts/deps.sh does it)")
    sys.exit(1)


def load(schemadir):
    schemas = {}
    for name in sorted(os.listdir(schemadir)):
        if name.endswith(".schema.json"):
            with open(os.path.join(schemadir, name)) as f:
                schemas[name] = json.load(f)
    return schemas


def validator(schemas, name):
    """A validator of schema @name that resolves the others by $id."""
    cls = jsonschema.Draft202012Validator
    schema = schemas[name]
    try:
        from referencing import Registry, Resource
    except ImportError:
        # jsonschema < 4.18 (Debian 12): the RefResolver with a store.
        store = {s["$id"]: s for s in schemas.values()}
        resolver = jsonschema.RefResolver(schema["$id"], schema, store=store)
        return cls(schema, resolver=resolver)
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values())
    return cls(schema, registry=registry)


def check_schemas(schemadir, tdxsim):
    schemas = load(schemadir)
    bad = 0
    for name, s in schemas.items():
        try:
            jsonschema.Draft202012Validator.check_schema(s)
        except jsonschema.SchemaError as e:
            print(f"{name}: not a valid schema: {e.message}")
            bad = 1
        want = "https://tdxsim.invalid/schemas/" + name
        if s.get("$id") != want:
            print(f"{name}: $id is {s.get('$id')!r}, not {want!r}")
            bad = 1
    out = subprocess.run([tdxsim, "help", "--json"], stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    # exec hands the terminal to another program: its output is that
    # program's, and tdxsim's own part is an exit status.
    for c in json.loads(out)["commands"]:
        cmd = c["command"]
        if cmd == "exec":
            continue
        if f"{cmd}.schema.json" not in schemas:
            print(f"tdxsim {cmd}: no docs/schemas/{cmd}.schema.json")
            bad = 1
    # The validator validates: a wrong document is refused.
    v = validator(schemas, "version.schema.json")
    if v.is_valid({"version": 2, "default_kernel": ""}):
        print("a wrong version document passed the schema")
        bad = 1
    print(f"{'not ok' if bad else 'ok'}: {len(schemas)} schemas")
    return bad


def main():
    schemadir = sys.argv[1]
    if sys.argv[2] == "--schemas":
        return check_schemas(schemadir, sys.argv[3])
    command, status = sys.argv[2], int(sys.argv[3])
    lines = "--lines" in sys.argv[4:sys.argv.index("--")]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, errors="replace")
    if p.returncode != status:
        sys.stdout.write(p.stdout[-3000:] + p.stderr[-3000:])
        print(f"check_json: exit status {p.returncode}, expected {status}")
        return 1
    v = validator(load(schemadir), f"{command}.schema.json")
    docs = []
    try:
        if lines:
            docs = [json.loads(ln) for ln in p.stdout.splitlines()
                    if ln.strip()]
        else:
            docs = [json.loads(p.stdout)]
    except json.JSONDecodeError as e:
        sys.stdout.write(p.stdout[-3000:])
        print(f"check_json: stdout is not JSON: {e}")
        return 1
    if not docs:
        print("check_json: no JSON on stdout")
        return 1
    bad = 0
    for i, doc in enumerate(docs):
        for e in sorted(v.iter_errors(doc), key=lambda e: list(e.path)):
            where = "/".join(str(x) for x in e.absolute_path)
            print(f"document {i}, at /{where}: {e.message[:300]}")
            bad = 1
    what = ", ".join(sorted({d.get("type", "?") for d in docs
                              if isinstance(d, dict)})) + " " if lines else ""
    print(f"{'not ok' if bad else 'ok'}: exit status {status}, "
          f"{len(docs)} document(s) {what}valid against {command}.schema.json")
    return bad


sys.exit(main())
