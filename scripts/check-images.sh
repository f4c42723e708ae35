#!/usr/bin/env bash
# Every image of every chart in charts/ exists upstream: each chart is rendered by
# `helm template` (with its default values and with each values-*.yaml beside them, plus
# placeholder passwords), every container image of the result is listed, and each is
# asked of its registry with `docker manifest inspect`: by digest (what the runtime pulls)
# and by tag (the version it claims to be). An image with neither a tag nor a digest fails.
#
#   scripts/check-images.sh [--dry-run] [CHART_DIR...]     (default: every chart in charts/)
#
#   --dry-run   DRY_RUN=1: render and list the images and print the `docker manifest
#               inspect` commands, without asking any registry
#   HELM        the helm binary (default: helm on PATH)
#   PYTHON      a Python with PyYAML (default: python3; the storedesk venv's has it)
#
# Needs: helm, Python with PyYAML; and docker (the client only: `docker manifest inspect`
# talks to the registry, no daemon needed) with internet access, except in a dry run.
# Library charts (type: library) have no images of their own and are skipped. Placeholder
# values: storeName, and each credential the chart's engine.yaml marks `generate: true`.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HELM="${HELM:-helm}"
PYTHON="${PYTHON:-python3}"

say() { printf 'check-images: %s\n' "$*" >&2; }
die() {
  say "FAILED: $*"
  exit 1
}

charts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    -h | --help)
      sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) charts+=("${1%/}") ;;
  esac
  shift
done
DRY_RUN="${DRY_RUN:-0}"
case "$DRY_RUN" in 0 | 1) ;; *) die "DRY_RUN must be 0 or 1, not '${DRY_RUN}'" ;; esac
if [ "${#charts[@]}" -eq 0 ]; then
  for chart_yaml in "$ROOT"/charts/*/Chart.yaml; do
    [ -e "$chart_yaml" ] && charts+=("$(dirname "$chart_yaml")")
  done
fi
[ "${#charts[@]}" -gt 0 ] || die "no chart found in ${ROOT}/charts"

command -v "$HELM" >/dev/null 2>&1 || die "helm is not on PATH (or set HELM)"
"$PYTHON" -c 'import yaml' 2>/dev/null || die "${PYTHON} cannot import yaml (PyYAML); set PYTHON"
if ! command -v docker >/dev/null 2>&1; then
  [ "$DRY_RUN" = 1 ] || die "docker is not on PATH (the client is enough)"
  say "warning: docker is not on PATH; a real run needs its client"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/storedesk-check-images.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# chart_helper placeholders ENGINE_YAML OUT | images RENDERED WHERE
chart_helper() {
  "$PYTHON" - "$@" <<'PY'
import json
import sys

import yaml

mode = sys.argv[1]
if mode == "placeholders":
    engine_yaml, out = sys.argv[2], sys.argv[3]
    values = {"storeName": "imagecheck"}
    try:
        with open(engine_yaml, encoding="utf-8") as f:
            manifest = yaml.safe_load(f) or {}
    except FileNotFoundError:
        manifest = {}
    for credential in manifest.get("credentials") or []:
        if credential.get("generate") and credential.get("value"):
            node = values
            *parents, leaf = str(credential["value"]).split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = "image-check-placeholder-0"
    with open(out, "w", encoding="utf-8") as f:
        json.dump(values, f)
elif mode == "images":
    rendered, where = sys.argv[2], sys.argv[3]
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key in ("containers", "initContainers", "ephemeralContainers"):
                for container in node.get(key) or []:
                    if isinstance(container, dict) and container.get("image"):
                        found.add(str(container["image"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    with open(rendered, encoding="utf-8") as f:
        for document in yaml.safe_load_all(f):
            walk(document)
    for image in sorted(found):
        print(f"{image}\t{where}")
else:
    sys.exit(f"unknown mode {mode}")
PY
}

: >"$WORK/images"
rendered=0
for chart in "${charts[@]}"; do
  name="$(basename "$chart")"
  [ -f "$chart/Chart.yaml" ] || die "${chart}: no Chart.yaml"
  if grep -Eq '^type:[[:space:]]*library[[:space:]]*$' "$chart/Chart.yaml"; then
    say "${name}: a library chart, no images of its own"
    continue
  fi
  chart_helper placeholders "$chart/engine.yaml" "$WORK/${name}-placeholders.json"
  rendered=$((rendered + 1))
  value_files=("")
  for values in "$chart"/values-*.yaml; do
    [ -e "$values" ] && value_files+=("$values")
  done
  for values in "${value_files[@]}"; do
    where="$(basename "${values:-values.yaml}")"
    args=(template imagecheck "$chart" --namespace store-imagecheck)
    [ -z "$values" ] || args+=(--values "$values")
    args+=(--values "$WORK/${name}-placeholders.json")
    if ! "$HELM" "${args[@]}" >"$WORK/rendered.yaml" 2>"$WORK/helm.err"; then
      sed 's/^/    /' "$WORK/helm.err" >&2
      die "helm template of ${name} with ${where} failed (placeholders: storeName and engine.yaml's generated credentials)"
    fi
    chart_helper images "$WORK/rendered.yaml" "$name" >>"$WORK/images"
  done
done

mapfile -t images < <(cut -f1 "$WORK/images" | sort -u)
[ "${#images[@]}" -gt 0 ] || die "the charts render no container image"
say "${#images[@]} images in ${rendered} charts, each rendered with values.yaml and every values-*.yaml:"
for image in "${images[@]}"; do
  say "  ${image}   (in $(awk -F'\t' -v i="$image" '$1 == i { print $2 }' "$WORK/images" | sort -u | paste -sd, - | sed 's/,/, /g'))"
done

failures=()
checked=0
for image in "${images[@]}"; do
  # [registry[:port]/]repository[:tag][@digest]
  name_tag="${image%%@*}"
  digest=""
  [[ "$image" != *@* ]] || digest="${image#*@}"
  repository="$name_tag"
  tag=""
  last="${name_tag##*/}"
  if [[ "$last" == *:* ]]; then
    tag="${last##*:}"
    repository="${name_tag%:*}"
  fi
  refs=()
  [ -z "$digest" ] || refs+=("${repository}@${digest}")
  [ -z "$tag" ] || refs+=("${repository}:${tag}")
  if [ "${#refs[@]}" -eq 0 ]; then
    failures+=("${image}: neither a tag nor a digest (it would pull whatever :latest is)")
    continue
  fi
  for ref in "${refs[@]}"; do
    if [ "$DRY_RUN" = 1 ]; then
      say "+ docker manifest inspect ${ref}"
      continue
    fi
    checked=$((checked + 1))
    if docker manifest inspect "$ref" >/dev/null 2>"$WORK/docker.err"; then
      say "ok: ${ref}"
    else
      failures+=("${ref}: $(head -n 1 "$WORK/docker.err")")
    fi
  done
done

if [ "${#failures[@]}" -gt 0 ]; then
  for failure in "${failures[@]}"; do say "missing: ${failure}"; done
  die "${#failures[@]} image references do not resolve upstream"
fi
if [ "$DRY_RUN" = 1 ]; then
  say "dry run: ${#images[@]} images listed, no registry asked"
else
  say "PASSED: ${checked} references (${#images[@]} images) exist upstream"
fi
