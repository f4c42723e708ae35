"""Development tool: regenerate `gotypes.py` from checkouts of k8s.io/api and apimachinery.

    python -m storedesk.sim.gotypes_gen API_DIR APIMACHINERY_DIR > storedesk/sim/gotypes.py

It reads the Go API types and records, per OpenAPI definition, the fields a Go object
always carries even when nobody set them: non-pointer structs (encoding never omits a
struct) and fields without `omitempty` (their zero value is written). The field manager
compares Go objects, so these fields decide which parents a change counts as added.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_FIELD = re.compile(r"^\s*(\w+)\s+([^\s`]+)\s+`json:\"([^\"]*)\"")
_EMBED = re.compile(r"^\s*([\w.*]+)\s+`json:\"([^\"]*)\"")  # an embedded struct
_STRUCT = re.compile(r"^type (\w+) struct \{")
_NAMED = re.compile(r"^type (\w+) (string|bool|u?int\d*|float\d+|\[\]byte)\b")
_IMPORT = re.compile(r'^\s*(\w+)?\s*"(k8s\.io/[^"]+)"')
# Structs that encode as scalars, and the zero value each encodes to.
_SCALAR_STRUCTS = {
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": None,
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": None,
    "io.k8s.apimachinery.pkg.apis.meta.v1.Duration": "0s",
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "0",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": 0,
    "io.k8s.apimachinery.pkg.runtime.RawExtension": None,
}
_STRUCT_ZERO = "{}"


def definition_prefix(import_path: str) -> str:
    """io.k8s.api.apps.v1 for k8s.io/api/apps/v1, io.k8s.apimachinery.pkg... likewise."""
    return "io.k8s." + import_path.removeprefix("k8s.io/").replace("/", ".")


class Package:
    """One Go package's struct and named scalar types."""

    def __init__(self, prefix: str, files: list[Path]) -> None:
        self.prefix = prefix
        self.structs: dict[str, list[tuple[str, str, str]]] = {}  # name -> fields
        self.embeds: dict[str, list[str]] = {}
        self.scalars: dict[str, str] = {}
        self.imports: dict[str, str] = {}
        for path in files:
            self._read(path.read_text().splitlines())

    def _read(self, lines: list[str]) -> None:
        current: str | None = None
        for line in lines:
            if match := _IMPORT.match(line):
                alias = match.group(1) or match.group(2).rsplit("/", 1)[1]
                self.imports[alias] = match.group(2)
            if match := _NAMED.match(line):
                self.scalars[match.group(1)] = match.group(2)
            if match := _STRUCT.match(line):
                current = match.group(1)
                self.structs[current] = []
                self.embeds[current] = []
                continue
            if current is None:
                continue
            if line.startswith("}"):
                current = None
            elif match := _FIELD.match(line):
                name, go_type, tag = match.groups()
                self.structs[current].append((name, go_type, tag))
            elif match := _EMBED.match(line):
                go_type, tag = match.groups()
                if tag.split(",")[0]:  # embedded under a name: a field like any other
                    self.structs[current].append((go_type, go_type, tag))
                elif "inline" in tag.split(","):
                    self.embeds[current].append(go_type)


def zero_of(go_type: str, pkg: Package, packages: dict[str, Package]) -> object:
    """The encoded zero value of a Go type, or _STRUCT_ZERO for a struct."""
    if go_type.startswith(("*", "[]", "map[")):
        return None
    if "." in go_type:
        alias, name = go_type.split(".", 1)
        target = packages.get(definition_prefix(pkg.imports.get(alias, "")))
    else:
        name, target = go_type, pkg
    if target is None:
        full = definition_prefix(pkg.imports.get(go_type.split(".")[0], "")) + "." + name
        return _SCALAR_STRUCTS.get(full, "")
    full = f"{target.prefix}.{name}"
    if full in _SCALAR_STRUCTS:
        return _SCALAR_STRUCTS[full]
    if name in target.structs:
        return _STRUCT_ZERO
    base = target.scalars.get(name, go_type)
    if base in ("bool",):
        return False
    if base.startswith(("int", "uint", "float")):
        return 0
    if base == "[]byte":
        return None
    return ""


def always_present(pkg: Package, name: str, packages: dict[str, Package]) -> dict[str, object]:
    """Fields of struct `name` a Go object always encodes, with their zero values."""
    out: dict[str, object] = {}
    for embedded in pkg.embeds.get(name, ()):
        base = embedded.lstrip("*")
        target, local = pkg, base
        if "." in base:
            alias, local = base.split(".", 1)
            target = packages.get(definition_prefix(pkg.imports.get(alias, "")), pkg)
        if not embedded.startswith("*") and local in target.structs:
            out.update(always_present(target, local, packages))
    for _, go_type, tag in pkg.structs.get(name, ()):
        field, *options = tag.split(",")
        if not field or field == "-":
            continue
        zero = zero_of(go_type, pkg, packages)
        is_struct = not go_type.startswith(("*", "[]", "map[")) and (
            zero == _STRUCT_ZERO or go_type.endswith(("Time", "Quantity", "IntOrString"))
        )
        if "omitzero" in options:
            continue
        if "omitempty" not in options or is_struct:
            out[field] = zero
    return out


def main(api: Path, apimachinery: Path) -> None:
    """Print the generated module."""
    packages: dict[str, Package] = {}
    roots = [(api, "k8s.io/api"), (apimachinery, "k8s.io/apimachinery")]
    for root, module in roots:
        for folder in sorted({p.parent for p in root.rglob("*.go")}):
            files = [
                p
                for p in folder.glob("*.go")
                if not p.name.endswith("_test.go") and "generated" not in p.name
            ]
            rel = folder.relative_to(root).as_posix()
            prefix = definition_prefix(f"{module}/{rel}")
            packages[prefix] = Package(prefix, files)
    table: dict[str, dict[str, object]] = {}
    for prefix, pkg in packages.items():
        for name in pkg.structs:
            fields = always_present(pkg, name, packages)
            if fields:
                table[f"{prefix}.{name}"] = fields
    print('"""Generated by storedesk.sim.gotypes_gen: fields a Go API object always encodes.')
    print()
    print("Per OpenAPI definition: field -> its encoded zero value ({} for a struct).")
    print('"""')
    print()
    print("from typing import Any")
    print()
    print("STRUCT: dict[str, Any] = {}")
    print("ALWAYS: dict[str, dict[str, Any]] = {")
    for definition in sorted(table):
        encoded = ", ".join(
            f'"{k}": {"STRUCT" if v == _STRUCT_ZERO else repr(v)}'
            for k, v in sorted(table[definition].items())
        )
        print(f'    "{definition}": {{{encoded}}},')
    print("}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
