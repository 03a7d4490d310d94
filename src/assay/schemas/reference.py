"""The file-format reference page, generated from the packaged JSON Schemas."""

from __future__ import annotations

from assay.schemas import SCHEMAS, load_schema
from assay.schemas.markdown import anchor, cell, schema_rows

HEADER = """\
<!-- Generated: python -m assay.schemas > docs/file-formats.md (do not edit by hand) -->

# File formats

Every file Assay reads from you, and every structured output it writes, has a JSON Schema
(draft 2020-12) shipped in the package. Loading a file checks it against its schema and
reports *every* problem at once as `path:line:col: message`, then exits with code 2; nothing
is written while any problem remains.

YAML files are read with a safe loader and these rules: one document per file, UTF-8, at most
1 MiB (catalogs 16 MiB), no duplicate keys, no tags beyond YAML's plain ones, aliases allowed
but never expanding past 200,000 values, and YAML 1.2 scalars (`yes`, `no`, `on`, `off` are
strings; dates stay strings and are checked by the schema's `format`).

Where each file lives in a workspace:

| file | schema | what it is |
|---|---|---|
| `assay.toml` | `workspace` | workspace settings (TOML) |
| `services/<id>.yaml` | `service` | a service constitution |
| `controls/*.yaml` | `control` | extra controls, or overrides of built-in ones (same id) |
| `crosswalks/*.yaml` | `crosswalk` | extra control → requirement links |
| `frameworks/*.yaml` | `framework` | extra framework catalogs (`assay frameworks import`) |
| `waivers/*.yaml` | `waiver` | time-limited, approved exceptions |
| `attestations/*.yaml` | `attestation` | manual evidence, signed as `*.yaml.sig` |
| `people.yaml` | `people` | roles, the people who hold them and their SSH signing keys |
| `soa.yaml` | `soa` | Statement of Applicability decisions (`assay report soa`) |

The evidence kinds' facts have their own page: [evidence kinds](evidence-kinds.md).
"""


def render_markdown() -> str:
    parts = [HEADER, "## Schemas\n"]
    for name in SCHEMAS:
        parts.append(f"- [{name}](#{anchor(name)}): {cell(load_schema(name)['title'])}")
    parts.append("")
    for name, (package, filename) in SCHEMAS.items():
        schema = load_schema(name)
        parts.append(f"## {name}\n")
        parts.append(cell(schema.get("description", "")) + "\n")
        parts.append(f"Schema: `{package.replace('.', '/')}/{filename}`\n")
        parts.append("| Field | Type | Required | Description |")
        parts.append("|---|---|---|---|")
        parts.extend(schema_rows(schema))
        parts.append("")
    return "\n".join(parts)
