"""The desktop window (PySide6): Qt only; every cluster, helm and keyring call runs on a worker."""
