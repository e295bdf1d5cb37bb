"""Helpers shared by the e2e tests: reading kubectl's tables, checking object metadata."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import datetime, timezone

# kubectl's human-readable ages: "0s", "42s", "5m3s", "2d3h", ...
AGE_RE = re.compile(r"^(\d+[smhdy])+$")
RFC3339_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def parse_table(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """Parse one kubectl table. Column names are separated by at least two spaces and may hold
    single spaces ("NOMINATED NODE"); cells are cut at the header's column offsets, so empty
    cells (a resource without SHORTNAMES) come out as "". Returns (header names, rows)."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, f"no table in output: {text!r}"
    header = lines[0]
    cols = [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", header)]
    names = [name for _, name in cols]
    rows = []
    for line in lines[1:]:
        row = {}
        for i, (start, name) in enumerate(cols):
            end = cols[i + 1][0] if i + 1 < len(cols) else None
            row[name] = line[start:end].strip() if end is not None else line[start:].strip()
        rows.append(row)
    return names, rows


def table_row(rows: list[dict[str, str]], **match) -> dict[str, str]:
    """The single row whose cells equal `match` (e.g. NAME="web")."""
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one row with {match}, got {found} among {rows}"
    return found[0]


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def assert_server_metadata(obj: dict, name: str, namespace: str | None = None) -> dict:
    """The metadata the server must fill in on create: uid, resourceVersion, creationTimestamp."""
    md = obj["metadata"]
    assert md["name"] == name
    if namespace is None:
        assert "namespace" not in md or md["namespace"] in ("", None), md
    else:
        assert md["namespace"] == namespace
    uuid.UUID(md["uid"])  # raises if not a UUID
    assert isinstance(md["resourceVersion"], str) and md["resourceVersion"].isdigit(), md
    assert int(md["resourceVersion"]) > 0
    assert RFC3339_RE.match(md["creationTimestamp"]), md
    created = datetime.strptime(md["creationTimestamp"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - created).total_seconds()) < 600, md["creationTimestamp"]
    return md


def json_stream(text: str) -> list:
    """Parse concatenated JSON documents (kubectl -w -o json prints one after another)."""
    dec = json.JSONDecoder()
    out, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        try:
            obj, i = dec.raw_decode(text, i)
        except json.JSONDecodeError:
            return out  # an incomplete last document: more is on the way
        out.append(obj)


POD_WEB = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
    tier: frontend
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    ports:
    - containerPort: 80
"""


def pod_manifest(name: str, labels: dict[str, str] | None = None, image: str = "nginx:1.27",
                 namespace: str | None = None) -> str:
    labels = labels or {"app": name}
    lines = ["apiVersion: v1", "kind: Pod", "metadata:", f"  name: {name}"]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    lines.append("  labels:")
    lines += [f"    {k}: {json.dumps(v)}" for k, v in labels.items()]
    lines += ["spec:", "  containers:", "  - name: main", f"    image: {image}", ""]
    return "\n".join(lines)
