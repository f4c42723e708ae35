# shellcheck shell=bash
# The end-to-end scripts' shared part (scripts/e2e-kind.sh, scripts/e2e-k3s.sh): sourced,
# never run. A script names its steps with e2e_step and defines step_<name> for each;
# e2e_main prints the plan and runs them in order.
#
# Dry run (DRY_RUN=1 or --dry-run): the steps before the first one that needs Docker run
# for real (they check the tools and the inputs and touch nothing outside a temporary
# folder); the first Docker step only prints its commands; then the script stops, exit 0.
#
# Secrets never reach a command line: the store's admin password goes to curl on stdin,
# session tokens in 0600 files under $WORK (see lib/woocommerce.sh).

E2E_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=cluster-tools.sh
source "$E2E_ROOT/scripts/lib/cluster-tools.sh"

# Where the stores answer on this machine: 127.0.0.1, port 80 on every cluster these
# scripts make (the tests point E2E_HTTP_PORT at a stand-in shop).
E2E_HTTP_PORT="${E2E_HTTP_PORT:-80}"

E2E_STEP_NAMES=()
E2E_STEP_DOCKER=()
E2E_STEP_TEXT=()
E2E_CLUSTER_UP=0
WORK=""

say() { printf 'e2e-%s: %s\n' "${E2E_NAME:-?}" "$*" >&2; }
die() {
  say "FAILED: $*"
  exit 1
}
dry_run() { [ "${DRY_RUN:-0}" = 1 ]; }

# Print a command as one could paste it into a shell.
show() {
  local q
  printf -v q '%q ' "$@"
  say "+ ${q% }"
}
# Print, then run (a dry run only prints).
run() {
  show "$@"
  dry_run || "$@"
}
# run_to FILE CMD...: the same with the command's output written to FILE.
run_to() {
  local out="$1"
  shift
  show "$@"
  say "  (output to ${out})"
  dry_run || "$@" >"$out"
}

# e2e_parse_args "$@": --dry-run, --keep, -h/--help and an optional STORE name.
e2e_parse_args() {
  E2E_STORE=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --dry-run) DRY_RUN=1 ;;
      --keep) KEEP=1 ;;
      -h | --help)
        printf '%s\n' "$E2E_USAGE"
        exit 0
        ;;
      -*) die "unknown option $1 (see --help)" ;;
      *)
        [ -z "$E2E_STORE" ] || die "one STORE name at most (see --help)"
        E2E_STORE="$1"
        ;;
    esac
    shift
  done
  DRY_RUN="${DRY_RUN:-0}"
  KEEP="${KEEP:-0}"
  case "$DRY_RUN" in 0 | 1) ;; *) die "DRY_RUN must be 0 or 1, not '${DRY_RUN}'" ;; esac
  case "$KEEP" in 0 | 1) ;; *) die "KEEP must be 0 or 1, not '${KEEP}'" ;; esac
}

# e2e_step NAME NEEDS_DOCKER(0|1) DESCRIPTION: register step_NAME in the plan.
e2e_step() {
  E2E_STEP_NAMES+=("$1")
  E2E_STEP_DOCKER+=("$2")
  E2E_STEP_TEXT+=("$3")
}

e2e_print_plan() {
  local i n="${#E2E_STEP_NAMES[@]}" mark
  say "plan (${n} steps$(dry_run && echo ', dry run'))"
  for ((i = 0; i < n; i++)); do
    mark=""
    [ "${E2E_STEP_DOCKER[i]}" = 1 ] && mark=" [needs Docker]"
    say "  $((i + 1)). ${E2E_STEP_NAMES[i]}${mark}: ${E2E_STEP_TEXT[i]}"
  done
}

# e2e_init: the private work folder ($WORK, removed at exit unless KEEP=1) and the traps.
e2e_init() {
  umask 077
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/storedesk-e2e-${E2E_NAME}.XXXXXX")"
  trap e2e_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

e2e_main() {
  local i n="${#E2E_STEP_NAMES[@]}" name
  e2e_print_plan
  for ((i = 0; i < n; i++)); do
    name="${E2E_STEP_NAMES[i]}"
    if dry_run && [ "${E2E_STEP_DOCKER[i]}" = 1 ]; then
      say "dry run: step $((i + 1))/${n} (${name}) needs Docker; its commands:"
      "step_${name}"
      say "dry run: stopped before step $((i + 1))/${n} (${name}); nothing was created"
      return 0
    fi
    say "step $((i + 1))/${n}: ${name}: ${E2E_STEP_TEXT[i]}"
    "step_${name}"
  done
  say "PASSED: ${E2E_PASSED:-every step}"
}

e2e_exit() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$rc" -ne 0 ] && [ "$E2E_CLUSTER_UP" = 1 ] && ! dry_run; then
    e2e_diagnose || true
  fi
  if [ "$KEEP" = 1 ] && ! dry_run; then
    say "kept the cluster and ${WORK} (kubeconfig ${KUBECONFIG_FILE:-none})"
  else
    if [ "$E2E_CLUSTER_UP" = 1 ] && ! dry_run; then
      cluster_down || say "could not delete the cluster; delete it by hand"
    fi
    [ -z "$WORK" ] || rm -rf "$WORK"
  fi
  exit "$rc"
}

# ---------------------------------------------------------------------------------------
# Tools and inputs

# need_tools STEP TOOL...: every TOOL is on PATH. A dry run only warns about a tool that
# a later step (one it does not reach) needs.
need_tools() {
  local step="$1" tool missing=()
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    say "tools for ${step}: $* (ok)"
  elif dry_run && [ "$step" != preflight ]; then
    say "warning: not on PATH: ${missing[*]} (needed from step ${step}, after the dry run stops)"
  else
    die "not on PATH: ${missing[*]} (needed by step ${step})"
  fi
}

# check_store_name NAME: Storedesk's rule (README: store names), checked before anything.
check_store_name() {
  local name="$1"
  if ! [[ "$name" =~ ^[a-z]([a-z0-9]|-[a-z0-9])*$ ]] || [ "${#name}" -gt 20 ]; then
    die "store name '${name}': 1-20 characters a-z, 0-9 and single hyphens, starting with a letter and ending with a letter or digit"
  fi
  case "$name" in
    admin | api | default | ftp | kube | kubernetes | localhost | mail | storedesk | system | www)
      die "store name '${name}' is reserved"
      ;;
  esac
}

# check_port_free PORT: nothing on this machine answers on 127.0.0.1:PORT yet (the cluster
# maps its ingress there). A dry run only warns.
check_port_free() {
  local port="$1"
  if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
    if dry_run; then
      say "warning: 127.0.0.1:${port} is in use; a real run needs it free"
    else
      die "127.0.0.1:${port} is in use: the cluster's ingress is mapped there; stop what listens on it"
    fi
  else
    say "127.0.0.1:${port} is free"
  fi
}

# e2e_inputs: the engines and their store names (E2E_ENGINES, the STORE argument), the
# time budget, and the charts (rendered by scripts/check-images.sh --dry-run).
e2e_inputs() {
  local engine
  read -r -a ENGINES <<<"${E2E_ENGINES:-woocommerce}"
  [ "${#ENGINES[@]}" -gt 0 ] || die "E2E_ENGINES names no engine"
  if [ -n "$E2E_STORE" ] && [ "${#ENGINES[@]}" -gt 1 ]; then
    die "a STORE name needs a single engine (E2E_ENGINES='${E2E_ENGINES}')"
  fi
  STORES=()
  for engine in "${ENGINES[@]}"; do
    declare -F "checkout_${engine}" >/dev/null ||
      die "engine ${engine}: no checkout_${engine} function in this script or scripts/lib/"
    [ -f "$E2E_ROOT/charts/${engine}/Chart.yaml" ] || die "engine ${engine}: no charts/${engine}"
    STORES+=("${E2E_STORE:-e2e-${engine}}")
  done
  local store
  for store in "${STORES[@]}"; do check_store_name "$store"; done
  E2E_DOMAIN="${E2E_DOMAIN:-localhost}"
  [[ "$E2E_HTTP_PORT" =~ ^[1-9][0-9]*$ ]] || die "E2E_HTTP_PORT must be a port, not '${E2E_HTTP_PORT}'"
  E2E_CREATE_TIMEOUT="${E2E_CREATE_TIMEOUT:-900}"
  [[ "$E2E_CREATE_TIMEOUT" =~ ^[1-9][0-9]*$ ]] ||
    die "E2E_CREATE_TIMEOUT must be a number of seconds, not '${E2E_CREATE_TIMEOUT}'"
  say "engines: ${ENGINES[*]}; stores: ${STORES[*]} at http://<store>.${E2E_DOMAIN}/"
  if command -v storedesk >/dev/null 2>&1; then
    say "storedesk: $(storedesk --version 2>&1)"
    if ! storedesk doctor --help >/dev/null 2>&1; then
      dry_run || die "this storedesk has no doctor command (step doctor runs it)"
      say "warning: this storedesk has no doctor command yet (step doctor runs it)"
    fi
  fi
  say "rendering every chart's images (scripts/check-images.sh --dry-run)"
  DRY_RUN=1 "$E2E_ROOT/scripts/check-images.sh" >&2 ||
    die "scripts/check-images.sh --dry-run failed: the charts do not render"
}

# ---------------------------------------------------------------------------------------
# The cluster: kubectl and storedesk on the script's own kubeconfig and context

k() { kubectl --kubeconfig "$KUBECONFIG_FILE" --context "$KUBE_CONTEXT" "$@"; }
sd() { storedesk --kubeconfig "$KUBECONFIG_FILE" --context "$KUBE_CONTEXT" "$@"; }
# For `run`, which prints what it runs: the same commands spelled out.
e2e_cluster_commands() {
  K=(kubectl --kubeconfig "$KUBECONFIG_FILE" --context "$KUBE_CONTEXT")
  SD=(storedesk --kubeconfig "$KUBECONFIG_FILE" --context "$KUBE_CONTEXT")
}

# wait_until SECONDS WHAT CMD...: run CMD every 3 s until it succeeds; after SECONDS, fail
# with its last output.
wait_until() {
  local budget="$1" what="$2" deadline
  shift 2
  deadline=$((SECONDS + budget))
  until "$@" >"$WORK/wait.out" 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      sed 's/^/    /' "$WORK/wait.out" >&2
      die "timed out after ${budget}s waiting for ${what}"
    fi
    sleep 3
  done
}

# wait_for_object NAMESPACE KIND/NAME SECONDS: the object exists. `kubectl wait` and
# `kubectl rollout status` fail at once on an object that does not exist yet.
wait_for_object() {
  local ns="$1" object="$2" budget="$3" where=()
  [ -z "$ns" ] || where=(--namespace "$ns")
  say "waiting for ${object}${ns:+ in ${ns}} to exist"
  wait_until "$budget" "${object}${ns:+ in ${ns}} to exist" k "${where[@]}" get "$object"
}

# wait_for_rollout NAMESPACE DEPLOYMENT SECONDS: it exists, then its pods are all ready.
wait_for_rollout() {
  local ns="$1" name="$2" budget="$3"
  wait_for_object "$ns" "deployment/${name}" "$budget"
  run "${K[@]}" --namespace "$ns" rollout status "deployment/${name}" --timeout "${budget}s"
}

# shop_url HOST [PATH]: the URL a browser on this machine asks for HOST's PATH.
shop_url() {
  local authority="$1"
  [ "$E2E_HTTP_PORT" = 80 ] || authority="$1:${E2E_HTTP_PORT}"
  printf 'http://%s/%s' "$authority" "${2:-}"
}
# shop_curl HOST CURL-ARGS... URL: one request to a store, its name resolved to 127.0.0.1
# as browsers do for *.localhost, failing on an HTTP error with the body shown.
shop_curl() {
  local host="$1"
  shift
  curl -sS --fail-with-body --max-time 60 --resolve "${host}:${E2E_HTTP_PORT}:127.0.0.1" "$@"
}

# http_status URL [CURL-ARGS...]: the HTTP status (000 when nothing answered); the body
# goes to $WORK/body. Only this machine's addresses are ever asked.
http_status() {
  local url="$1"
  shift
  curl -sS -o "$WORK/body" -w '%{http_code}' --max-time 10 "$@" "$url" 2>/dev/null || true
}

# wait_for_ingress_port SECONDS: the ingress controller answers on 127.0.0.1:80 (any HTTP
# status: with no Ingress yet it is a 404).
wait_for_ingress_port() {
  local budget="$1" deadline code url
  url="http://127.0.0.1:${E2E_HTTP_PORT}/"
  deadline=$((SECONDS + budget))
  say "waiting for the ingress controller to answer on ${url}"
  while :; do
    code="$(http_status "$url")"
    [ "$code" = 000 ] || break
    [ "$SECONDS" -lt "$deadline" ] ||
      die "nothing answers on ${url} after ${budget}s: the port mapping or the controller's host port is missing"
    sleep 3
  done
  say "the ingress controller answers on ${url} (HTTP ${code})"
}

# explain_status CODE HOST: what an HTTP status from the store's URL says about the path.
explain_status() {
  case "$1" in
    000) echo "nothing answered on 127.0.0.1:${E2E_HTTP_PORT} (no ingress controller, or no port mapping)" ;;
    404) echo "HTTP 404: the ingress controller has no route for $2 (IngressClass mismatch?)" ;;
    502 | 503 | 504) echo "HTTP $1: the controller cannot reach the store's pods (a NetworkPolicy that does not admit the controller's namespace?)" ;;
    200) echo "HTTP 200, but the page is not the shop (its marker is missing)" ;;
    *) echo "HTTP $1 from $(shop_url "$2")" ;;
  esac
}

# wait_for_storefront HOST MARKER SECONDS: http://HOST/ answers 200 with MARKER in the page.
wait_for_storefront() {
  local host="$1" marker="$2" budget="$3" deadline code url
  url="$(shop_url "$host")"
  deadline=$((SECONDS + budget))
  say "waiting for the storefront at ${url}"
  while :; do
    code="$(http_status "$url" --resolve "${host}:${E2E_HTTP_PORT}:127.0.0.1")"
    if [ "$code" = 200 ] && grep -qF "$marker" "$WORK/body"; then
      say "the storefront answers at ${url}"
      return 0
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "the storefront at ${url}: $(explain_status "$code" "$host")"
    sleep 3
  done
}

# ---------------------------------------------------------------------------------------
# The steps every cluster shares

step_images() {
  run "$E2E_ROOT/scripts/check-images.sh"
}

step_doctor() {
  # A cluster this script set up must pass Storedesk's own cluster check (exit 0: no
  # check found a problem), for each engine's chart.
  local engine
  for engine in "${ENGINES[@]}"; do
    run "${SD[@]}" doctor --engine "$engine"
  done
}

step_create() {
  local i class=()
  [ -z "${E2E_INGRESS_CLASS:-}" ] || class=(--ingress-class "$E2E_INGRESS_CLASS")
  for i in "${!ENGINES[@]}"; do
    run "${SD[@]}" create "${STORES[i]}" --engine "${ENGINES[i]}" --domain "$E2E_DOMAIN" \
      "${class[@]}" --wait --timeout "$E2E_CREATE_TIMEOUT"
    dry_run || run "${SD[@]}" status "${STORES[i]}"
  done
}

# Each engine's proof of a sale: checkout_<engine> STORE HOST (lib/woocommerce.sh; a
# script may define more, e.g. checkout_medusa).
step_checkout() {
  local i
  for i in "${!ENGINES[@]}"; do
    if dry_run; then
      say "+ checkout_${ENGINES[i]} ${STORES[i]} ${STORES[i]}.${E2E_DOMAIN}"
    else
      "checkout_${ENGINES[i]}" "${STORES[i]}" "${STORES[i]}.${E2E_DOMAIN}"
    fi
  done
}

step_delete() {
  local store
  for store in "${STORES[@]}"; do
    run "${SD[@]}" delete "$store" --yes --wait --timeout 600
    if ! dry_run && k get namespace "store-${store}" >/dev/null 2>&1; then
      die "namespace store-${store} still exists after storedesk delete --wait"
    fi
  done
}

# e2e_register_store_steps: images, doctor, create, checkout, delete (in this order, after
# the cluster's own steps).
e2e_register_store_steps() {
  local class_flag=""
  [ -z "${E2E_INGRESS_CLASS:-}" ] || class_flag=" --ingress-class ${E2E_INGRESS_CLASS}"
  e2e_step images 1 "scripts/check-images.sh: docker manifest inspect of every chart image"
  e2e_step doctor 1 "storedesk doctor --engine <engine>: Storedesk's cluster check finds no problem"
  e2e_step create 1 "storedesk create <store> --engine <engine>${class_flag} --wait (each engine)"
  e2e_step checkout 1 "checkout_<engine>: a Cash on Delivery order through the Store API, read back through the admin REST API"
  e2e_step delete 1 "storedesk delete <store> --yes --wait; the namespace is gone"
}

# ---------------------------------------------------------------------------------------
# Diagnostics when a step failed: cluster state, never a Secret's content.

e2e_diagnose() {
  local dir="${E2E_ARTIFACTS:-$WORK}" out store
  mkdir -p "$dir"
  out="$dir/diagnostics-${E2E_NAME}.txt"
  say "collecting diagnostics into ${out}"
  {
    echo "## nodes"
    k get nodes -o wide 2>&1
    echo "## pods"
    k get pods --all-namespaces -o wide 2>&1
    echo "## ingress classes"
    k get ingressclass -o wide 2>&1
    for store in "${STORES[@]}"; do
      echo "## store ${store}"
      sd status "$store" 2>&1
      sd events "$store" 2>&1
      k --namespace "store-${store}" get all,ingress,networkpolicy,pvc,resourcequota -o wide 2>&1
      k --namespace "store-${store}" describe pods 2>&1
      k --namespace "store-${store}" get events --sort-by=.lastTimestamp 2>&1
      k --namespace "store-${store}" logs --all-containers --prefix --tail=200 \
        --selector app.kubernetes.io/instance="$store" 2>&1
    done
    if declare -F diagnose_cluster >/dev/null; then diagnose_cluster 2>&1; fi
  } >"$out" 2>&1
  tail -n 80 "$out" >&2
}
