"""The `storedesk` command (placeholder until the engine lands)."""

def main(argv: list[str] | None = None) -> int:
    return 0
