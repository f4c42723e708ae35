#!/usr/bin/env bash
# shellcheck disable=SC2034  # the pins are read by the scripts that source this file
# What the end-to-end runs pin (sourced by scripts/lib/e2e.sh), and the installer of the
# cluster tools (CI runs it):
#
#   scripts/lib/cluster-tools.sh [--dry-run] install kind|k3d DIR
#
# downloads the pinned release binary for this machine (linux amd64/arm64), checks its
# SHA-256 against the release's own checksum file and installs it as DIR/kind or DIR/k3d.
# Each pin below names where it was read.

# kind v0.32.0 (tag commit cda67ef8588f6bfdac5358233f2471cb2149ecaf). Its release assets
# are kind-linux-<arch> and kind-linux-<arch>.sha256sum (hack/release/build/cross.sh).
KIND_VERSION=v0.32.0
# kind v0.32.0's default node image (pkg/apis/config/defaults/image.go), pinned by digest.
KIND_NODE_IMAGE=kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5
# ingress-nginx controller-v1.15.1 (commit 0a5901f3c64f11e92e487799b8da3f00cca37515), its
# manifest for kind (deploy/static/provider/kind/deploy.yaml: host ports 80/443, the
# `nginx` IngressClass, an admission webhook set up by two Jobs with
# ttlSecondsAfterFinished: 0). Pinned by commit, so the bytes cannot move.
INGRESS_NGINX_VERSION=v1.15.1
INGRESS_NGINX_MANIFEST=https://raw.githubusercontent.com/kubernetes/ingress-nginx/0a5901f3c64f11e92e487799b8da3f00cca37515/deploy/static/provider/kind/deploy.yaml
# k3d v5.9.0 (tag commit 15dd1e2dbd62c53ed990fce9b7332335e8cb053c). Its release assets are
# k3d-linux-<arch> and checksums.txt (`sha256sum _dist/*`, Makefile gen-checksum).
K3D_VERSION=v5.9.0
# The k3s image (named in k3d v5.9.0's docs/usage/configfile.md); Traefik comes with it.
K3S_IMAGE=rancher/k3s:v1.35.2-k3s1

ct_say() { printf 'cluster-tools: %s\n' "$*" >&2; }
ct_die() {
  ct_say "FAILED: $*"
  exit 1
}
ct_run() {
  local q
  printf -v q '%q ' "$@"
  ct_say "+ ${q% }"
  [ "${DRY_RUN:-0}" = 1 ] || "$@"
}

# install_cluster_tool kind|k3d DIR
install_cluster_tool() {
  local tool="$1" dir="$2" arch asset url sums tmp expected actual
  case "$(uname -s)/$(uname -m)" in
    Linux/x86_64) arch=amd64 ;;
    Linux/aarch64 | Linux/arm64) arch=arm64 ;;
    *) ct_die "no pinned ${tool} for $(uname -s)/$(uname -m); install ${tool} by hand" ;;
  esac
  case "$tool" in
    kind)
      asset="kind-linux-${arch}"
      url="https://github.com/kubernetes-sigs/kind/releases/download/${KIND_VERSION}/${asset}"
      sums="${url}.sha256sum"
      ;;
    k3d)
      asset="k3d-linux-${arch}"
      url="https://github.com/k3d-io/k3d/releases/download/${K3D_VERSION}/${asset}"
      sums="https://github.com/k3d-io/k3d/releases/download/${K3D_VERSION}/checksums.txt"
      ;;
    *) ct_die "unknown tool '${tool}' (kind or k3d)" ;;
  esac
  [ -n "$dir" ] || ct_die "no install folder given"
  tmp="$(mktemp -d)"
  ct_run curl -fsSL --retry 3 -o "${tmp}/${asset}" "$url"
  ct_run curl -fsSL --retry 3 -o "${tmp}/checksums" "$sums"
  if [ "${DRY_RUN:-0}" = 1 ]; then
    ct_say "+ (check the SHA-256 of ${asset} against the release's checksum file)"
  else
    # A line is "<sha256>  <path>", the path ending in the asset's name.
    expected="$(awk -v a="$asset" '{ n = split($2, p, "/"); if (p[n] == a || p[n] == "*" a) print $1 }' \
      "${tmp}/checksums")"
    actual="$(sha256sum "${tmp}/${asset}" | awk '{ print $1 }')"
    [ -n "$expected" ] || ct_die "${sums} lists no ${asset}"
    [ "$expected" = "$actual" ] || ct_die "${asset}: SHA-256 ${actual}, the release says ${expected}"
    ct_say "${asset}: SHA-256 ${actual} matches the release's checksum file"
  fi
  ct_run mkdir -p "$dir"
  ct_run install -m 0755 "${tmp}/${asset}" "${dir}/${tool}"
  rm -rf "$tmp"
  ct_run "${dir}/${tool}" version
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  if [ "${1:-}" = --dry-run ]; then
    DRY_RUN=1
    shift
  fi
  if [ "${1:-}" != install ] || [ $# -ne 3 ]; then
    ct_die "usage: scripts/lib/cluster-tools.sh [--dry-run] install kind|k3d DIR"
  fi
  install_cluster_tool "$2" "$3"
fi
