"""Storedesk: a desktop shop factory on Kubernetes."""

__version__ = "0.1.0"
