#!/usr/bin/env bash
# End to end on k3s (k3s in Docker through k3d; needs Docker): the Traefik that k3s
# installs (IngressClass `traefik`, its controller in kube-system) serves the stores on
# 127.0.0.1:80. The chart images checked upstream, `storedesk doctor`, then for each
# engine a store made by Storedesk with --ingress-class traefik, a Cash on Delivery order
# placed through the shop's Store API and read back as the store's admin, and the store
# deleted.
#
#   scripts/e2e-k3s.sh [--dry-run] [--keep] [STORE]
#
#   STORE             the store's name (default e2e-<engine>; one engine only)
#   --dry-run         DRY_RUN=1: check the tools and inputs, print the plan and the first
#                     Docker step's commands, create nothing
#   --keep            KEEP=1: keep the cluster and the work folder afterwards
#   E2E_ENGINES       engines to prove, space-separated (default: woocommerce)
#   E2E_ARTIFACTS     folder for diagnostics when a step fails
#   E2E_CREATE_TIMEOUT  seconds for `storedesk create --wait` (default 900)
#
# Needs: docker, k3d, kubectl, helm, curl, jq, python3 with PyYAML, and storedesk.
# k3s enforces NetworkPolicies (its embedded policy controller), so this run proves that
# a store admits Traefik's namespace, kube-system. Versions: scripts/lib/cluster-tools.sh.
set -euo pipefail

E2E_NAME=k3s
E2E_USAGE="$(sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0")"
# shellcheck source=lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=lib/woocommerce.sh
source "$(dirname "$0")/lib/woocommerce.sh"

CLUSTER=storedesk-e2e
KUBE_CONTEXT="k3d-${CLUSTER}"
E2E_INGRESS_CLASS=traefik
API_PORT=6550

step_preflight() {
  need_tools preflight bash helm "${PYTHON:-python3}"
  need_tools cluster docker k3d
  need_tools ingress kubectl curl
  need_tools images docker
  need_tools doctor storedesk jq
  e2e_inputs
  check_port_free 80
  check_port_free 443
  check_port_free "$API_PORT"
}

step_cluster() {
  E2E_CLUSTER_UP=1
  # k3d's serverlb proxies the mapped ports to the server node, where k3s's ServiceLB
  # exposes Traefik's LoadBalancer Service (k3d docs: usage/exposing_services.md).
  run k3d cluster create "$CLUSTER" --image "$K3S_IMAGE" \
    --api-port "127.0.0.1:${API_PORT}" \
    --port "127.0.0.1:80:80@loadbalancer" --port "127.0.0.1:443:443@loadbalancer" \
    --kubeconfig-update-default=false \
    --wait --timeout 300s
  run_to "$KUBECONFIG_FILE" k3d kubeconfig get "$CLUSTER"
  dry_run || wait_for_rollout kube-system coredns 180
}

cluster_down() {
  run k3d cluster delete "$CLUSTER"
}

step_ingress() {
  # k3s installs Traefik with a HelmChart: a helm-install Job in kube-system creates the
  # Deployment and the IngressClass some time after the API answers, so wait for them to
  # exist before waiting on them.
  dry_run && {
    show "${K[@]}" --namespace kube-system rollout status deployment/traefik --timeout 300s
    return 0
  }
  wait_for_rollout kube-system traefik 300
  wait_for_object "" ingressclass/traefik 120
  say "IngressClass traefik: controller $(k get ingressclass traefik -o jsonpath='{.spec.controller}')," \
    "default: $(k get ingressclass traefik -o jsonpath='{.metadata.annotations.ingressclass\.kubernetes\.io/is-default-class}')"
  wait_for_ingress_port 180
}

diagnose_cluster() {
  echo "## traefik (kube-system)"
  k --namespace kube-system get deployment,service,pods,jobs -o wide
  k --namespace kube-system logs deployment/traefik --tail=200
}

e2e_parse_args "$@"
e2e_init
KUBECONFIG_FILE="$WORK/kubeconfig"
e2e_cluster_commands
E2E_PASSED="k3s ${K3S_IMAGE#*:} (k3d ${K3D_VERSION}) with Traefik: every store sold with Cash on Delivery"

e2e_step preflight 0 "tools, inputs, every chart renders (check-images --dry-run)"
e2e_step cluster 1 "k3d cluster create ${CLUSTER} (k3d ${K3D_VERSION}, ${K3S_IMAGE}, ports 80/443 on 127.0.0.1)"
e2e_step ingress 1 "wait for k3s's Traefik (kube-system) and IngressClass traefik, answering on 127.0.0.1:80"
e2e_register_store_steps
e2e_main
