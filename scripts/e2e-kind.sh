#!/usr/bin/env bash
# End to end on a real cluster (needs Docker): a kind cluster with ingress-nginx on this
# machine's port 80, a store made by Storedesk, and a Cash on Delivery order placed through
# the WooCommerce Store API, then found through the REST API as the store's admin.
#
#   scripts/e2e-kind.sh [STORE]      (KEEP=1 keeps the cluster afterwards)
#
# Needs: docker, kind, kubectl, curl, jq and the storedesk command (with helm on PATH).
set -euo pipefail

STORE="${1:-e2eshop}"
CLUSTER=storedesk-e2e
HOST="${STORE}.localhost"
WORK="$(mktemp -d)"
KUBECONFIG_FILE="$WORK/kubeconfig"

say() { echo "e2e: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }

cleanup() {
  if [ "${KEEP:-}" = 1 ]; then
    say "kept cluster ${CLUSTER} (kubeconfig ${KUBECONFIG_FILE})"
  else
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

for tool in docker kind kubectl curl jq storedesk; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH"
done

say "creating kind cluster ${CLUSTER} with ports 80/443 mapped to this machine"
cat >"$WORK/kind.yaml" <<'EOF'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    kubeadmConfigPatches:
      - |
        kind: InitConfiguration
        nodeRegistration:
          kubeletExtraArgs:
            node-labels: "ingress-ready=true"
    extraPortMappings:
      - {containerPort: 80, hostPort: 80, protocol: TCP}
      - {containerPort: 443, hostPort: 443, protocol: TCP}
EOF
kind create cluster --name "$CLUSTER" --config "$WORK/kind.yaml" \
  --kubeconfig "$KUBECONFIG_FILE" --wait 120s
k() { kubectl --kubeconfig "$KUBECONFIG_FILE" --context "kind-${CLUSTER}" "$@"; }

say "installing ingress-nginx (kind's manifest) as the default IngressClass"
k apply -f https://kind.sigs.k8s.io/examples/ingress/deploy-ingress-nginx.yaml >/dev/null
k wait --namespace ingress-nginx --for=condition=ready pod \
  --selector=app.kubernetes.io/component=controller --timeout=300s
# Storedesk's default ingress class is the cluster's default one.
k annotate ingressclass nginx ingressclass.kubernetes.io/is-default-class=true --overwrite

say "creating store ${STORE} with Storedesk"
storedesk --kubeconfig "$KUBECONFIG_FILE" --context "kind-${CLUSTER}" create "$STORE" --wait
creds="$(storedesk --kubeconfig "$KUBECONFIG_FILE" --context "kind-${CLUSTER}" \
  credentials "$STORE" --reveal -o json)"
admin_user="$(jq -r .admin_user <<<"$creds")"
admin_password="$(jq -r .admin_password <<<"$creds")"

# curl resolves the store's name to this machine, as browsers do for *.localhost.
shop() { curl -fsS --max-time 30 --resolve "${HOST}:80:127.0.0.1" "$@"; }
api() { local route="$1"; shift; shop "$@" "http://${HOST}/?rest_route=${route}"; }

say "waiting for the storefront at http://${HOST}/"
for _ in $(seq 60); do
  if shop "http://${HOST}/" 2>/dev/null | grep -q 'content="WooCommerce'; then break; fi
  sleep 2
done
shop "http://${HOST}/" | grep -q 'content="WooCommerce' || die "the storefront is not a shop"

product="$(api /wc/store/v1/products | jq -r '.[0].id // empty')"
[ -n "$product" ] || die "the Store API lists no product"

say "adding product ${product} to a cart"
api /wc/store/v1/cart -D "$WORK/headers" -o /dev/null
header() { tr -d '\r' <"$WORK/headers" | awk -v h="$1" 'tolower($1) == tolower(h) ":" { print $2 }'; }
cart_token="$(header Cart-Token)"
nonce="$(header Nonce)"
[ -n "$cart_token" ] || die "GET /cart returned no Cart-Token header"
session=(-H "Cart-Token: ${cart_token}" -H "Nonce: ${nonce}" -H 'Content-Type: application/json')
api /wc/store/v1/cart/add-item "${session[@]}" \
  -d "{\"id\": ${product}, \"quantity\": 1}" -o /dev/null

say "checking out with Cash on Delivery"
address='"first_name": "Ada", "last_name": "Shopper", "company": "", "address_1": "1 Main St",
  "address_2": "", "city": "San Francisco", "state": "CA", "postcode": "94103",
  "country": "US", "phone": "555-0100"'
order="$(api /wc/store/v1/checkout "${session[@]}" -d "{
  \"billing_address\": {${address}, \"email\": \"ada@example.com\"},
  \"shipping_address\": {${address}},
  \"payment_method\": \"cod\"}")"
order_id="$(jq -r '.order_id // empty' <<<"$order")"
[ -n "$order_id" ] || die "checkout placed no order: ${order}"
say "order ${order_id} placed (status $(jq -r .status <<<"$order"))"

say "finding order ${order_id} in WooCommerce as ${admin_user}"
jar="$WORK/cookies"
shop -c "$jar" -o /dev/null "http://${HOST}/wp-login.php"
# The password goes through stdin, not the command line.
printf '%s' "$admin_password" | shop -b "$jar" -c "$jar" -o /dev/null \
  --data-urlencode "log=${admin_user}" --data-urlencode 'pwd@-' \
  -d testcookie=1 -d 'wp-submit=Log+In' "http://${HOST}/wp-login.php"
rest_nonce="$(shop -b "$jar" "http://${HOST}/wp-admin/admin-ajax.php?action=rest-nonce")"
api "/wc/v3/orders/${order_id}" -b "$jar" -H "X-WP-Nonce: ${rest_nonce}" |
  jq -e --argjson id "$order_id" '.id == $id and .payment_method == "cod"' >/dev/null ||
  die "order ${order_id} is not in WooCommerce as a Cash on Delivery order"

say "PASSED: store ${STORE} sold a product with Cash on Delivery (order ${order_id})"
