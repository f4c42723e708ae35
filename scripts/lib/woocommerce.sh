# shellcheck shell=bash
# The WooCommerce engine's proof of a sale, for scripts/lib/e2e.sh (sourced after it):
#
#   checkout_woocommerce STORE HOST
#
# A shopper's path through the WooCommerce Store API (no login): list the products, get a
# cart (its Cart-Token header identifies the cart, so no nonce is needed: Store API
# docs, cart-tokens.md), add the sample product, check out with Cash on Delivery
# (payment_method "cod"). Then the store's admin logs in to WordPress and reads the order
# back through the WooCommerce REST API (wc/v3, cookie + X-WP-Nonce).
#
# Every request goes to 127.0.0.1 (shop_curl: curl --resolve HOST:80:127.0.0.1), through
# the ingress controller, as a browser's would. Routes use ?rest_route=, which works with any
# permalink setting. The admin password is read from `storedesk credentials --reveal -o
# json` into a variable and reaches curl on stdin (--data-urlencode pwd@-); the cart token
# and the REST nonce go in 0600 header files (curl -H @FILE): none is ever an argument.

WOOCOMMERCE_MARKER='<meta name="generator" content="WooCommerce'

# wc_api HOST ROUTE CURL-ARGS...: a REST route, e.g. /wc/store/v1/cart.
wc_api() {
  local host="$1" route="$2"
  shift 2
  shop_curl "$host" "$@" "$(shop_url "$host" "?rest_route=${route}")"
}

checkout_woocommerce() {
  local store="$1" host="$2" xtrace=0
  # Never trace the password (bash -x would print it).
  case $- in *x*)
    xtrace=1
    set +x
    ;;
  esac
  wait_for_storefront "$host" "$WOOCOMMERCE_MARKER" 300
  woocommerce_place_cod_order "$host"
  woocommerce_read_order "$store" "$host"
  [ "$xtrace" = 0 ] || set -x
}

# Sets WC_ORDER_ID and WC_PRODUCT_ID.
woocommerce_place_cod_order() {
  local host="$1" cart_headers="$WORK/wc-cart-headers" token order
  WC_PRODUCT_ID="$(wc_api "$host" /wc/store/v1/products |
    jq -r '[.[] | select(.is_purchasable and .is_in_stock)][0].id // empty')"
  [ -n "$WC_PRODUCT_ID" ] || die "the Store API lists no product a shopper can buy"
  say "the Store API lists product ${WC_PRODUCT_ID}; getting a cart"

  wc_api "$host" /wc/store/v1/cart -D "$WORK/wc-cart-response" -o /dev/null
  token="$(tr -d '\r' <"$WORK/wc-cart-response" |
    awk 'tolower($1) == "cart-token:" { print $2 }' | tail -n 1)"
  [ -n "$token" ] || die "GET /wc/store/v1/cart returned no Cart-Token header"
  printf 'Cart-Token: %s\nContent-Type: application/json\n' "$token" >"$cart_headers"

  say "adding product ${WC_PRODUCT_ID} to the cart"
  jq -n --argjson id "$WC_PRODUCT_ID" '{id: $id, quantity: 1}' >"$WORK/wc-add-item.json"
  wc_api "$host" /wc/store/v1/cart/add-item -H "@${cart_headers}" \
    --data-binary "@$WORK/wc-add-item.json" -o /dev/null

  say "checking out with Cash on Delivery"
  jq -n '{first_name: "Ada", last_name: "Shopper", company: "", address_1: "1 Main St",
          address_2: "", city: "San Francisco", state: "CA", postcode: "94103",
          country: "US", phone: "555-0100"} as $a
         | {billing_address: ($a + {email: "ada@example.com"}), shipping_address: $a,
            payment_method: "cod"}' >"$WORK/wc-checkout.json"
  order="$(wc_api "$host" /wc/store/v1/checkout -H "@${cart_headers}" \
    --data-binary "@$WORK/wc-checkout.json")" || die "checkout failed: ${order:-no answer}"
  WC_ORDER_ID="$(jq -r '.order_id // empty' <<<"$order")"
  [ -n "$WC_ORDER_ID" ] || die "checkout placed no order: ${order}"
  jq -e '.payment_result.payment_status == "success"' >/dev/null <<<"$order" ||
    die "order ${WC_ORDER_ID}: the payment did not succeed: ${order}"
  say "order ${WC_ORDER_ID} placed (status $(jq -r .status <<<"$order"))"
}

woocommerce_read_order() {
  local store="$1" host="$2" creds admin_user admin_password nonce
  local jar="$WORK/wc-cookies" admin_headers="$WORK/wc-admin-headers" order
  creds="$(sd credentials "$store" --reveal -o json)"
  admin_user="$(jq -r .admin_user <<<"$creds")"
  admin_password="$(jq -r .admin_password <<<"$creds")"
  creds=""
  if [ -z "$admin_user" ] || [ -z "$admin_password" ] || [ "$admin_password" = null ]; then
    die "storedesk credentials ${store} --reveal gave no admin login"
  fi

  say "logging in to WordPress as ${admin_user}"
  # The login form sets WordPress's test cookie; the login checks it came back.
  shop_curl "$host" -c "$jar" -o /dev/null "$(shop_url "$host" wp-login.php)"
  printf '%s' "$admin_password" | shop_curl "$host" -b "$jar" -c "$jar" -o /dev/null \
    --data-urlencode "log=${admin_user}" --data-urlencode 'pwd@-' \
    --data-urlencode 'testcookie=1' --data-urlencode 'wp-submit=Log In' \
    "$(shop_url "$host" wp-login.php)"
  admin_password=""
  grep -q 'wordpress_logged_in_' "$jar" || die "WordPress did not log ${admin_user} in"
  nonce="$(shop_curl "$host" -b "$jar" "$(shop_url "$host" "wp-admin/admin-ajax.php?action=rest-nonce")")"
  [[ "$nonce" =~ ^[0-9a-f]{10}$ ]] || die "admin-ajax.php?action=rest-nonce gave no nonce"
  printf 'X-WP-Nonce: %s\n' "$nonce" >"$admin_headers"

  say "reading order ${WC_ORDER_ID} through the WooCommerce REST API"
  order="$(wc_api "$host" "/wc/v3/orders/${WC_ORDER_ID}" -b "$jar" -H "@${admin_headers}")" ||
    die "GET /wc/v3/orders/${WC_ORDER_ID} failed: ${order:-no answer}"
  jq -e --argjson id "$WC_ORDER_ID" --argjson product "$WC_PRODUCT_ID" '
      .id == $id and .payment_method == "cod"
      and (.status == "processing" or .status == "on-hold")
      and any(.line_items[]; .product_id == $product)' >/dev/null <<<"$order" ||
    die "order ${WC_ORDER_ID} is not in WooCommerce as a Cash on Delivery order of product ${WC_PRODUCT_ID}: $(jq -c '{id, status, payment_method, line_items: [.line_items[]? | {product_id, quantity}]}' <<<"$order")"
  say "WooCommerce has order ${WC_ORDER_ID}: $(jq -r '"\(.status), \(.payment_method_title), total \(.total) \(.currency)"' <<<"$order")"
}
