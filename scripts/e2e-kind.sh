#!/usr/bin/env bash
# End to end on a real kind cluster (needs Docker): kind with ports 80/443 on 127.0.0.1,
# ingress-nginx as the default IngressClass, the chart images checked upstream,
# `storedesk doctor`, then for each engine a store made by Storedesk, a Cash on Delivery
# order placed through the shop's Store API and read back as the store's admin, and the
# store deleted.
#
#   scripts/e2e-kind.sh [--dry-run] [--keep] [STORE]
#
#   STORE             the store's name (default e2e-<engine>; one engine only)
#   --dry-run         DRY_RUN=1: check the tools and inputs, print the plan and the first
#                     Docker step's commands, create nothing
#   --keep            KEEP=1: keep the cluster and the work folder afterwards
#   E2E_ENGINES       engines to prove, space-separated (default: woocommerce;
#                     "woocommerce medusa" proves both, "medusa" the Medusa store only)
#   E2E_ARTIFACTS     folder for diagnostics when a step fails
#   E2E_CREATE_TIMEOUT  seconds for `storedesk create --wait` (default 900)
#
# Needs: docker, kind, kubectl, helm, curl, jq, python3 with PyYAML, and storedesk.
# Only 127.0.0.1 is asked for the shop; kind, ingress-nginx and the images come from
# their upstream registries. Versions: scripts/lib/cluster-tools.sh.
set -euo pipefail

E2E_NAME=kind
E2E_USAGE="$(sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0")"
# shellcheck source=lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=lib/woocommerce.sh
source "$(dirname "$0")/lib/woocommerce.sh"
# shellcheck source=lib/medusa.sh
source "$(dirname "$0")/lib/medusa.sh"

CLUSTER=storedesk-e2e
KUBE_CONTEXT="kind-${CLUSTER}"
E2E_INGRESS_CLASS="" # the cluster's default class: nginx, made default below

step_preflight() {
  need_tools preflight bash helm "${PYTHON:-python3}"
  need_tools cluster docker kind
  need_tools ingress kubectl curl
  need_tools images docker
  need_tools doctor storedesk jq
  e2e_inputs
  check_port_free 80
  check_port_free 443
  cat >"$WORK/kind.yaml" <<EOF
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    image: ${KIND_NODE_IMAGE}
    # ingress-nginx's kind manifest puts host ports 80/443 on the node; these map them to
    # this machine, on loopback only.
    extraPortMappings:
      - {containerPort: 80, hostPort: 80, listenAddress: "127.0.0.1", protocol: TCP}
      - {containerPort: 443, hostPort: 443, listenAddress: "127.0.0.1", protocol: TCP}
EOF
  "${PYTHON:-python3}" -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$WORK/kind.yaml" ||
    die "the kind config is not YAML"
  say "kind config ($WORK/kind.yaml):"
  sed 's/^/    /' "$WORK/kind.yaml" >&2
}

step_cluster() {
  E2E_CLUSTER_UP=1
  run kind create cluster --name "$CLUSTER" --config "$WORK/kind.yaml" \
    --kubeconfig "$KUBECONFIG_FILE" --wait 180s
  dry_run || wait_for_rollout kube-system coredns 180
}

cluster_down() {
  run kind delete cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG_FILE"
}

# ingress-nginx's admission webhook answers (its certificate made and patched in by the
# two Jobs, the controller serving it): a server-side dry run of an Ingress passes it.
# The Jobs delete themselves when done (ttlSecondsAfterFinished: 0), so waiting on them
# races; this asks the webhook itself.
admission_probe() {
  k apply --dry-run=server -f - <<'EOF'
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: storedesk-e2e-webhook-probe
  namespace: ingress-nginx
spec:
  ingressClassName: nginx
  rules:
    - host: webhook-probe.localhost
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: ingress-nginx-controller
                port:
                  number: 80
EOF
}

step_ingress() {
  run "${K[@]}" apply -f "$INGRESS_NGINX_MANIFEST"
  dry_run && return 0
  wait_for_rollout ingress-nginx ingress-nginx-controller 300
  say "waiting for ingress-nginx's admission webhook"
  wait_until 300 "ingress-nginx's admission webhook" admission_probe
  # Storedesk's default class is the cluster's default one.
  run "${K[@]}" annotate ingressclass nginx \
    ingressclass.kubernetes.io/is-default-class=true --overwrite
  wait_for_ingress_port 120
}

diagnose_cluster() {
  echo "## ingress-nginx"
  k --namespace ingress-nginx get all -o wide
  k --namespace ingress-nginx logs deployment/ingress-nginx-controller --tail=200
}

e2e_parse_args "$@"
e2e_init
KUBECONFIG_FILE="$WORK/kubeconfig"
e2e_cluster_commands
E2E_PASSED="kind ${KIND_VERSION} (${KIND_NODE_IMAGE%@*}) with ingress-nginx ${INGRESS_NGINX_VERSION}: every store sold with Cash on Delivery"

e2e_step preflight 0 "tools, inputs, the kind config, every chart renders (check-images --dry-run)"
e2e_step cluster 1 "kind create cluster --name ${CLUSTER} (kind ${KIND_VERSION}, ${KIND_NODE_IMAGE%@*}, ports 80/443 on 127.0.0.1)"
e2e_step ingress 1 "kubectl apply ingress-nginx ${INGRESS_NGINX_VERSION} (kind manifest); wait for the controller and its admission webhook; nginx becomes the default IngressClass"
e2e_register_store_steps
e2e_main
