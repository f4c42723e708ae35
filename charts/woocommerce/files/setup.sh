#!/usr/bin/env bash
# Storedesk WooCommerce setup: turns a fresh WordPress into a shop that sells.
#
# Runs in the wordpress:cli image as a helm post-install/post-upgrade hook, on the volume
# the wordpress container fills on its first start. Every step looks before it changes
# anything, so running it again changes nothing. The shop defaults (pages, open shop,
# Cash on Delivery, free shipping, permalinks, a sample product) are applied once, then
# left to the shop owner: an upgrade never undoes their choices.
# Any failure stops the script with a message that names the step.
#
# Environment: WP_URL, WP_TITLE, ADMIN_USER, ADMIN_EMAIL, ADMIN_PASSWORD, WC_VERSION,
# SAMPLE_NAME, SAMPLE_PRICE, SAMPLE_SKU, WORDPRESS_DB_* (read by wp-config.php), and
# optionally WP_PATH, WAIT_SECONDS, WAIT_INTERVAL.
set -Eeuo pipefail

: "${WP_URL:?WP_URL is required}" "${WP_TITLE:?WP_TITLE is required}"
: "${ADMIN_USER:?ADMIN_USER is required}" "${ADMIN_EMAIL:?ADMIN_EMAIL is required}"
: "${ADMIN_PASSWORD:?ADMIN_PASSWORD is required}" "${WC_VERSION:?WC_VERSION is required}"
: "${SAMPLE_NAME:?SAMPLE_NAME is required}" "${SAMPLE_PRICE:?SAMPLE_PRICE is required}"
: "${SAMPLE_SKU:?SAMPLE_SKU is required}"
WP_PATH="${WP_PATH:-/var/www/html}"
WAIT_SECONDS="${WAIT_SECONDS:-300}"
WAIT_INTERVAL="${WAIT_INTERVAL:-5}"

PERMALINKS='/%postname%/'
DEFAULTS_OPTION='storedesk_shop_defaults'
COD_SETTINGS='{"enabled":"yes","title":"Cash on delivery","description":"Pay with cash upon delivery.","instructions":"Pay with cash upon delivery.","enable_for_methods":[],"enable_for_virtual":"yes"}'
# Connects to the database named in the environment, without loading WordPress.
# shellcheck disable=SC2016 # PHP code: its $ are PHP's, not the shell's.
DB_PING='mysqli_report(MYSQLI_REPORT_OFF);
$h = explode(":", getenv("WORDPRESS_DB_HOST") ?: "", 2);
$c = @mysqli_connect($h[0], getenv("WORDPRESS_DB_USER"), getenv("WORDPRESS_DB_PASSWORD"),
    getenv("WORDPRESS_DB_NAME"), (int) ($h[1] ?? 3306));
if (!$c) { fwrite(STDERR, mysqli_connect_error() . "\n"); exit(1); }'

STEP='starting'

# Reports the failed step once: command substitutions inherit this trap (set -E), and only
# the script's own shell speaks.
on_error() {
  local code=$?
  if ((BASH_SUBSHELL == 0)); then
    echo "setup: FAILED while ${STEP} (exit code ${code})" >&2
  fi
}
trap on_error ERR

step() {
  STEP="$1"
  echo "setup: ${STEP}"
}

fail() {
  echo "setup: FAILED while ${STEP}: $*" >&2
  exit 1
}

# Runs "$@" until it succeeds; fails after WAIT_SECONDS with its last answer.
wait_for() {
  local deadline=$((SECONDS + WAIT_SECONDS)) output
  until output="$("$@" 2>&1)"; do
    if ((SECONDS >= deadline)); then
      fail "no success after ${WAIT_SECONDS}s; last answer: ${output:-(nothing)}"
    fi
    sleep "$WAIT_INTERVAL"
  done
}

# An option's value, or nothing when it does not exist.
option() {
  wp option get "$1" 2>/dev/null || true
}

# True when dotted version $1 is lower than $2, comparing numbers ("9.9.1" < "10.0").
version_lt() {
  local -a a b
  local i x y
  IFS=. read -ra a <<<"$1"
  IFS=. read -ra b <<<"$2"
  for ((i = 0; i < ${#a[@]} || i < ${#b[@]}; i++)); do
    x="${a[i]:-0}" y="${b[i]:-0}"
    x="${x%%[!0-9]*}" y="${y%%[!0-9]*}"
    if ((10#${x:-0} != 10#${y:-0})); then
      ((10#${x:-0} < 10#${y:-0}))
      return
    fi
  done
  return 1
}

wait_for_wordpress() {
  cd "$WP_PATH"
  step "waiting for the WordPress files (the wordpress container copies them on first start)"
  wait_for test -s wp-config.php -a -s wp-includes/version.php
  step "waiting for the database"
  wait_for wp eval --skip-wordpress "$DB_PING"
}

install_core() {
  step "installing WordPress"
  if wp core is-installed; then
    echo "setup: WordPress is installed"
    return
  fi
  # The password goes through stdin, never on a command line.
  printf '%s\n' "$ADMIN_PASSWORD" | wp core install --url="$WP_URL" --title="$WP_TITLE" \
    --admin_user="$ADMIN_USER" --admin_email="$ADMIN_EMAIL" --skip-email \
    --prompt=admin_password
}

set_address() {
  step "setting the store's address to ${WP_URL}"
  local name
  for name in home siteurl; do
    if [ "$(option "$name")" != "$WP_URL" ]; then
      wp option update "$name" "$WP_URL"
    fi
  done
}

install_woocommerce() {
  step "installing WooCommerce ${WC_VERSION}"
  local installed upgraded=''
  installed="$(wp plugin get woocommerce --field=version 2>/dev/null || true)"
  if [ -z "$installed" ]; then
    wp plugin install woocommerce --version="$WC_VERSION"
  elif version_lt "$installed" "$WC_VERSION"; then
    wp plugin install woocommerce --version="$WC_VERSION" --force
    upgraded=yes
  else
    echo "setup: WooCommerce ${installed} is installed"
  fi
  step "activating WooCommerce"
  wp plugin is-active woocommerce || wp plugin activate woocommerce
  if [ -n "$upgraded" ]; then
    step "updating WooCommerce's database to ${WC_VERSION}"
    wp wc update
  fi
}

create_pages() {
  step "creating the shop pages (shop, cart, checkout, my account)"
  local page id
  for page in shop cart checkout myaccount; do
    id="$(option "woocommerce_${page}_page_id")"
    if [ -z "$id" ] || [ "$id" = 0 ] || ! wp post exists "$id" >/dev/null 2>&1; then
      wp wc tool run install_pages --user="$ADMIN_USER"
      return
    fi
  done
}

open_shop() {
  step "opening the shop to visitors (turning off coming soon)"
  if [ "$(option woocommerce_coming_soon)" != no ]; then
    wp option update woocommerce_coming_soon no
  fi
}

enable_cash_on_delivery() {
  step "enabling Cash on Delivery"
  if [ "$(wp option pluck woocommerce_cod_settings enabled 2>/dev/null || true)" != yes ]; then
    wp option update woocommerce_cod_settings "$COD_SETTINGS" --format=json
  fi
}

offer_free_shipping() {
  step "offering free shipping everywhere"
  local methods
  # Zone 0 covers every address no other zone covers.
  methods="$(wp wc shipping_zone_method list 0 --user="$ADMIN_USER" --field=method_id)"
  if ! grep -qx free_shipping <<<"$methods"; then
    wp wc shipping_zone_method create 0 --method_id=free_shipping --enabled=true \
      --user="$ADMIN_USER"
  fi
}

set_permalinks() {
  step "turning on pretty permalinks"
  if [ "$(option permalink_structure)" != "$PERMALINKS" ]; then
    wp rewrite structure "$PERMALINKS"
  fi
}

add_sample_product() {
  step "adding the sample product ${SAMPLE_NAME}"
  local ids
  ids="$(wp wc product list --sku="$SAMPLE_SKU" --user="$ADMIN_USER" --field=id)"
  if [ -z "$ids" ]; then
    wp wc product create --name="$SAMPLE_NAME" --type=simple --status=publish \
      --regular_price="$SAMPLE_PRICE" --sku="$SAMPLE_SKU" --user="$ADMIN_USER"
  fi
}

apply_shop_defaults() {
  if [ "$(option "$DEFAULTS_OPTION")" = applied ]; then
    echo "setup: the shop defaults were applied before; the shop owner's settings stay"
    return
  fi
  create_pages
  open_shop
  enable_cash_on_delivery
  offer_free_shipping
  set_permalinks
  add_sample_product
  step "recording that the shop defaults are applied"
  wp option update "$DEFAULTS_OPTION" applied
}

main() {
  wait_for_wordpress
  install_core
  set_address
  install_woocommerce
  apply_shop_defaults
  STEP='finishing'
  echo "setup: done; the shop is open at ${WP_URL}"
}

main "$@"
