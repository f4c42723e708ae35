"""A stateful stand-in for WP-CLI: just the commands the chart's setup script uses.

State lives in the JSON file $FAKE_WP_STATE; every call is appended to its "calls" (argv
and, for mutating commands, "write": true). Messages and exit codes follow WP-CLI's.
$FAKE_WP_FAIL makes every command starting with that text fail (as a download would).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

STATE = Path(os.environ["FAKE_WP_STATE"])
PAGES = ("shop", "cart", "checkout", "myaccount")
WRITES = {
    ("core", "install"),
    ("option", "update"),
    ("plugin", "install"),
    ("plugin", "activate"),
    ("wc", "update"),
    ("wc", "tool"),
    ("wc", "shipping_zone_method", "create"),
    ("wc", "product", "create"),
    ("rewrite", "structure"),
}


class WpError(Exception):
    """An `Error: ...` line and exit code 1, as WP-CLI reports failures."""


def load() -> dict:
    if STATE.exists():
        return json.loads(STATE.read_text())
    return {}


def parse(argv: list[str]) -> tuple[list[str], dict[str, str | bool]]:
    positional: list[str] = []
    assoc: dict[str, str | bool] = {}
    for arg in argv:
        if arg.startswith("--"):
            key, sep, value = arg[2:].partition("=")
            assoc[key] = value if sep else True
        else:
            positional.append(arg)
    return positional, assoc


def is_write(positional: list[str]) -> bool:
    return any(tuple(positional[: len(w)]) == w for w in WRITES)


def require_admin(state: dict, assoc: dict) -> None:
    user = assoc.get("user")
    if not user:
        raise WpError("Sorry, you are not allowed to do that.")
    if user != state.get("admin_user"):
        raise WpError(f"Invalid user ID, email or login: '{user}'")


def new_id(state: dict) -> int:
    state["next_id"] = state.get("next_id", 10) + 1
    return state["next_id"]


def run(state: dict, pos: list[str], assoc: dict) -> str:
    options = state.setdefault("options", {})
    plugins = state.setdefault("plugins", {})

    fail = os.environ.get("FAKE_WP_FAIL", "")
    if fail and " ".join(pos).startswith(fail):
        raise WpError("Download failed. Not Found")
    if pos[:1] == ["eval"] and assoc.get("skip-wordpress"):
        if state.get("db_down_pings", 0) > 0:
            state["db_down_pings"] -= 1
            raise WpError("php_network_getaddresses: getaddrinfo for db failed")
        return ""
    if not Path("wp-config.php").exists():
        raise WpError("'wp-config.php' not found.")
    if state.get("db_down_pings", 0) > 0:
        raise WpError("Error establishing a database connection.")

    if pos == ["core", "is-installed"]:
        if not state.get("installed"):
            raise SystemExit(1)
        return ""
    if pos == ["core", "install"]:
        if state.get("installed"):
            return "Success: WordPress is already installed."
        for key in ("url", "title", "admin_user", "admin_email"):
            if not assoc.get(key):
                raise WpError(f"missing --{key} parameter")
        password = sys.stdin.readline().rstrip("\n") if assoc.get("prompt") else ""
        state.update(installed=True, admin_user=assoc["admin_user"], admin_password=password)
        options.update(home=assoc["url"], siteurl=assoc["url"], permalink_structure="")
        return "Success: WordPress installed successfully."
    if not state.get("installed"):
        raise WpError("The site you have requested is not installed.")

    if pos[:2] == ["option", "get"]:
        if pos[2] not in options:
            raise WpError(f"Could not get '{pos[2]}' option. Does it exist?")
        value = options[pos[2]]
        return value if isinstance(value, str) else json.dumps(value)
    if pos[:2] == ["option", "pluck"]:
        value = options.get(pos[2])
        if not isinstance(value, dict) or pos[3] not in value:
            raise WpError(f"No data exists for key '{pos[3]}'")
        return str(value[pos[3]])
    if pos[:2] == ["option", "update"]:
        value = json.loads(pos[3]) if assoc.get("format") == "json" else pos[3]
        unchanged = options.get(pos[2]) == value
        options[pos[2]] = value
        if unchanged:
            return f"Success: Value passed for '{pos[2]}' option is unchanged."
        return f"Success: Updated '{pos[2]}' option."
    if pos[:2] == ["rewrite", "structure"]:
        options["permalink_structure"] = pos[2]
        return "Success: Rewrite structure set."
    if pos[:2] == ["post", "exists"]:
        if pos[2] not in state.get("posts", {}):
            raise SystemExit(1)
        return f"Success: Post with ID {pos[2]} exists."

    if pos[:3] == ["plugin", "get", "woocommerce"]:
        if "woocommerce" not in plugins:
            raise WpError("The 'woocommerce' plugin could not be found.")
        return plugins["woocommerce"]["version"]
    if pos[:3] == ["plugin", "install", "woocommerce"]:
        if "woocommerce" in plugins and not assoc.get("force"):
            return "Warning: woocommerce: Plugin already installed."
        active = plugins.get("woocommerce", {}).get("active", False)
        plugins["woocommerce"] = {"version": assoc["version"], "active": active}
        return "Success: Installed 1 of 1 plugins."
    if pos[:3] == ["plugin", "is-active", "woocommerce"]:
        if not plugins.get("woocommerce", {}).get("active"):
            raise SystemExit(1)
        return ""
    if pos[:3] == ["plugin", "activate", "woocommerce"]:
        if "woocommerce" not in plugins:
            raise WpError("The 'woocommerce' plugin could not be found.")
        plugins["woocommerce"]["active"] = True
        return "Success: Activated 1 of 1 plugins."

    if pos[:1] == ["wc"]:
        if not plugins.get("woocommerce", {}).get("active"):
            raise WpError("'wc' is not a registered wp command. See 'wp help'.")
        return run_wc(state, pos[1:], assoc)
    raise WpError(f"'{' '.join(pos)}' is not a registered wp command. See 'wp help'.")


def run_wc(state: dict, pos: list[str], assoc: dict) -> str:
    options = state["options"]
    if pos == ["update"]:
        state["wc_db_version"] = state["plugins"]["woocommerce"]["version"]
        return "Success: No updates required. Database version is up to date."
    require_admin(state, assoc)
    if pos == ["tool", "run", "install_pages"]:
        posts = state.setdefault("posts", {})
        for page in PAGES:
            page_id = options.get(f"woocommerce_{page}_page_id", "")
            if page_id not in posts:
                page_id = str(new_id(state))
                posts[page_id] = page
                options[f"woocommerce_{page}_page_id"] = page_id
        return "Success: Updated install_pages."
    zone_methods = state.setdefault("shipping_zone_0", [])
    if pos == ["shipping_zone_method", "list", "0"]:
        return "\n".join(m["method_id"] for m in zone_methods)
    if pos == ["shipping_zone_method", "create", "0"]:
        zone_methods.append({"method_id": assoc["method_id"], "enabled": assoc.get("enabled")})
        return f"Success: Created shipping_zone_method {len(zone_methods)}."
    products = state.setdefault("products", [])
    if pos == ["product", "list"]:
        sku = assoc.get("sku")
        return "\n".join(str(p["id"]) for p in products if sku in (None, p["sku"]))
    if pos == ["product", "create"]:
        if any(p["sku"] == assoc.get("sku") for p in products):
            raise WpError("Invalid or duplicated SKU.")
        product = {k: assoc.get(k) for k in ("name", "type", "status", "regular_price", "sku")}
        product["id"] = new_id(state)
        products.append(product)
        return f"Success: Created product {product['id']}."
    raise WpError(f"'wc {' '.join(pos)}' is not a registered wp command.")


def main() -> int:
    state = load()
    positional, assoc = parse(sys.argv[1:])
    state.setdefault("calls", []).append({"argv": sys.argv[1:], "write": is_write(positional)})
    code = 0
    try:
        out = run(state, positional, assoc)
        if out:
            print(out)
    except WpError as error:
        print(f"Error: {error}", file=sys.stderr)
        code = 1
    except SystemExit as stop:
        code = int(stop.code or 0)
    STATE.write_text(json.dumps(state, indent=1, sort_keys=True))
    return code


if __name__ == "__main__":
    sys.exit(main())
