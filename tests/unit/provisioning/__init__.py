"""Unit tests of storedesk.provisioning's file-only parts: files on tmp_path, no cluster."""
