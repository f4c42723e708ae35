# shellcheck shell=bash
# shellcheck disable=SC2016 # the $names in single quotes are jq's, not the shell's
# The Medusa engine's proof of a sale, for scripts/lib/e2e.sh (sourced after it):
#
#   checkout_medusa STORE HOST
#
# A shopper's path through Medusa v2's Store API (docs: "Checkout in Storefront"), every
# request carrying the store's publishable API key (x-publishable-api-key): find the seeded
# product, create a cart in the seeded region, add the product, set the email and
# addresses, pick a shipping option for the cart, open a payment collection and a payment
# session with the system default provider (pp_system_default, Medusa's Cash on
# Delivery), complete the cart into an order. Then the store's admin logs in
# (POST /auth/user/emailpass gives a token) and reads the order back through the Admin
# API.
#
# Every request goes to 127.0.0.1 (curl --resolve), through the ingress controller, as a
# browser's would. The publishable key, the admin password and token come from
# `storedesk credentials --reveal -o json` into variables and reach curl in 0600 files
# (request bodies and -H @FILE header files): none is ever an argument.

# medusa_curl HOST PATH CURL-ARGS...: one request to the store, failing on an HTTP error
# with the body shown. E2E_HTTP_PORT: the port the ingress listens on (default 80).
medusa_curl() {
  local host="$1" path="$2" port="${E2E_HTTP_PORT:-80}"
  shift 2
  curl -sS --fail-with-body --max-time 60 --resolve "${host}:${port}:127.0.0.1" "$@" \
    "http://${host}:${port}${path}"
}

# medusa_store HOST PATH [JSON-FILE]: a Store API request (POST when a body is given).
medusa_store() {
  local host="$1" path="$2" body=()
  [ -z "${3:-}" ] || body=(-H 'Content-Type: application/json' --data-binary "@$3")
  medusa_curl "$host" "$path" -H "@$WORK/medusa-key-headers" "${body[@]}"
}

# medusa_json NAME FILTER ARGS...: write jq -n's output to $WORK/medusa-NAME.json (0600).
medusa_json() {
  local name="$1"
  shift
  (umask 077 && jq -n "$@" >"$WORK/medusa-${name}.json")
  echo "$WORK/medusa-${name}.json"
}

checkout_medusa() {
  local store="$1" host="$2" xtrace=0 creds key
  # Never trace a secret (bash -x would print it).
  case $- in *x*)
    xtrace=1
    set +x
    ;;
  esac
  creds="$(sd credentials "$store" --reveal -o json)"
  key="$(jq -r '.publishable_key // empty' <<<"$creds")"
  [ -n "$key" ] || die "storedesk credentials ${store} --reveal gave no publishable key"
  (umask 077 && printf 'x-publishable-api-key: %s\n' "$key" >"$WORK/medusa-key-headers")
  key=""
  wait_for_medusa "$host" 300
  medusa_place_order "$host"
  medusa_read_order "$host" "$creds"
  creds=""
  [ "$xtrace" = 0 ] || set -x
}

# wait_for_medusa HOST SECONDS: until /health answers OK through the ingress.
wait_for_medusa() {
  local host="$1" deadline=$((SECONDS + $2))
  until [ "$(medusa_curl "$host" /health 2>/dev/null)" = OK ]; do
    [ "$SECONDS" -lt "$deadline" ] || die "Medusa at http://${host}/health does not answer OK"
    sleep 3
  done
  say "Medusa answers at http://${host}/health"
}

# Sets MEDUSA_ORDER_ID and MEDUSA_VARIANT_ID.
medusa_place_order() {
  local host="$1" region country product cart option collection order
  region="$(medusa_store "$host" /store/regions |
    jq -c '.regions[0] // empty')" || die "GET /store/regions failed"
  [ -n "$region" ] || die "the Store API lists no region"
  country="$(jq -r '.countries[0].iso_2' <<<"$region")"
  product="$(medusa_store "$host" \
    "/store/products?region_id=$(jq -r .id <<<"$region")&fields=*variants.calculated_price" |
    jq -c '[.products[] | select(.variants | length > 0)][0] // empty')"
  [ -n "$product" ] || die "the Store API lists no product with a variant"
  MEDUSA_VARIANT_ID="$(jq -r '.variants[0].id' <<<"$product")"
  say "the Store API lists $(jq -r .title <<<"$product") (variant ${MEDUSA_VARIANT_ID}); creating a cart in $(jq -r .name <<<"$region")"

  cart="$(medusa_store "$host" /store/carts \
    "$(medusa_json cart '{region_id: $r}' --arg r "$(jq -r .id <<<"$region")")" |
    jq -r '.cart.id // empty')"
  [ -n "$cart" ] || die "POST /store/carts made no cart"
  medusa_store "$host" "/store/carts/${cart}/line-items" \
    "$(medusa_json item '{variant_id: $v, quantity: 1}' --arg v "$MEDUSA_VARIANT_ID")" >/dev/null
  say "cart ${cart}: 1 item; setting the email and a ${country} address"
  medusa_store "$host" "/store/carts/${cart}" "$(medusa_json address '
      {first_name: "Ada", last_name: "Shopper", address_1: "1 Main Street", city: "Springfield",
       postal_code: "12345", country_code: $c, phone: "555-0100"} as $a
      | {email: "ada@example.com", shipping_address: $a, billing_address: $a}' \
    --arg c "$country")" >/dev/null

  option="$(medusa_store "$host" "/store/shipping-options?cart_id=${cart}" |
    jq -r '.shipping_options[0].id // empty')"
  [ -n "$option" ] || die "no shipping option for cart ${cart}"
  medusa_store "$host" "/store/carts/${cart}/shipping-methods" \
    "$(medusa_json shipping '{option_id: $o}' --arg o "$option")" >/dev/null
  say "shipping method ${option}; paying with the system default provider"

  collection="$(medusa_store "$host" /store/payment-collections \
    "$(medusa_json collection '{cart_id: $c}' --arg c "$cart")" |
    jq -r '.payment_collection.id // empty')"
  [ -n "$collection" ] || die "no payment collection for cart ${cart}"
  medusa_store "$host" "/store/payment-collections/${collection}/payment-sessions" \
    "$(medusa_json session '{provider_id: "pp_system_default"}')" >/dev/null

  order="$(medusa_store "$host" "/store/carts/${cart}/complete" "$(medusa_json complete '{}')")" ||
    die "completing cart ${cart} failed: ${order:-no answer}"
  jq -e '.type == "order"' >/dev/null <<<"$order" || die "cart ${cart} made no order: ${order}"
  MEDUSA_ORDER_ID="$(jq -r .order.id <<<"$order")"
  say "order ${MEDUSA_ORDER_ID} placed (display id $(jq -r .order.display_id <<<"$order"))"
}

medusa_read_order() {
  local host="$1" creds="$2" email token order
  email="$(jq -r .admin_email <<<"$creds")"
  say "logging in to the Admin API as ${email}"
  # The password goes from the credentials JSON into a 0600 body file, never argv.
  (umask 077 && jq '{email: .admin_email, password: .admin_password}' <<<"$creds" \
    >"$WORK/medusa-login.json")
  token="$(medusa_curl "$host" /auth/user/emailpass -H 'Content-Type: application/json' \
    --data-binary "@$WORK/medusa-login.json" | jq -r '.token // empty')"
  rm -f "$WORK/medusa-login.json"
  [ -n "$token" ] || die "Medusa did not log ${email} in"
  (umask 077 && printf 'Authorization: Bearer %s\n' "$token" >"$WORK/medusa-admin-headers")
  token=""

  say "reading order ${MEDUSA_ORDER_ID} through the Admin API"
  # The default fields (items among them) plus the email and currency ("+" adds).
  order="$(medusa_curl "$host" "/admin/orders/${MEDUSA_ORDER_ID}?fields=%2Bemail,%2Bcurrency_code" \
    -H "@$WORK/medusa-admin-headers")" ||
    die "GET /admin/orders/${MEDUSA_ORDER_ID} failed: ${order:-no answer}"
  jq -e --arg id "$MEDUSA_ORDER_ID" --arg variant "$MEDUSA_VARIANT_ID" '
      .order.id == $id and .order.email == "ada@example.com"
      and .order.payment_status == "authorized"
      and any(.order.items[]; .variant_id == $variant)' >/dev/null <<<"$order" ||
    die "order ${MEDUSA_ORDER_ID} is not in Medusa's admin as an authorized order of variant ${MEDUSA_VARIANT_ID}: $(jq -c '.order | {id, status, email, payment_status, items: [.items[]? | {variant_id, quantity}]}' <<<"$order")"
  say "Medusa has order ${MEDUSA_ORDER_ID}: $(jq -r '.order | "\(.status), payment \(.payment_status), total \(.total) \(.currency_code)"' <<<"$order")"
}
