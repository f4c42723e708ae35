"""A store's passwords stay with the cluster that holds its database (issue 16, F1 and F2).

Through the CLI, with a real gnome-keyring and two simulators that share a context name,
as two kind clusters called `kind-kind` do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from storedesk.cluster.keyring_store import CredentialStore
from storedesk.domain.credentials import Credentials
from storedesk.sim import Simulator
from tests.integration.engine_support import WOOCOMMERCE, keyring_key, unique_store
from tests.integration.test_cli import HELM4, storedesk
from tests.support import run_tool

pytestmark = [pytest.mark.helm, pytest.mark.keyring]


@pytest.fixture
def other_sim() -> Iterator[Simulator]:
    """A second cluster whose context has the same name as `sim`'s."""
    with Simulator(ready_delay=0.3) as running:
        yield running


def secret(sim: Simulator, store: str) -> Credentials:
    """The store's credentials Secret on `sim`, as its database knows them."""
    out = run_tool(
        HELM4.kubectl,
        sim,
        "get",
        "secret",
        f"{store}-credentials",
        "-n",
        f"store-{store}",
        "-o",
        "json",
    ).stdout
    return WOOCOMMERCE.credentials_from_secret(json.loads(out)["data"])


def revision(sim: Simulator, store: str) -> int:
    out = run_tool(HELM4.path, sim, "status", store, "-n", f"store-{store}", "-o", "json").stdout
    return int(json.loads(out)["version"])


def kept(sim: Simulator, store: str) -> Credentials | None:
    value = CredentialStore().get(keyring_key(sim, store))
    return WOOCOMMERCE.credentials_from_json(value, "k") if value else None


def test_two_clusters_with_one_context_name_never_share_passwords(
    sim: Simulator, other_sim: Simulator, tmp_path: Path
) -> None:
    assert sim.context == other_sim.context
    name = unique_store()
    for cluster in (sim, other_sim):
        created = storedesk(cluster, "create", name, data_dir=tmp_path)
        assert created.returncode == 0, created.stderr
    first, second = secret(sim, name), secret(other_sim, name)
    assert first["database_password"] != second["database_password"]
    assert kept(sim, name) == first and kept(other_sim, name) == second

    again = storedesk(other_sim, "create", name, data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert secret(other_sim, name) == second  # B's database keeps B's passwords
    assert "reused the passwords kept in the keyring" in again.stdout + again.stderr

    shown = storedesk(other_sim, "credentials", name, "--reveal", "-o", "json", data_dir=tmp_path)
    assert json.loads(shown.stdout)["database_password"] == second["database_password"]

    deleted = storedesk(other_sim, "delete", name, "--yes", "--wait", data_dir=tmp_path)
    assert deleted.returncode == 0, deleted.stderr
    assert kept(other_sim, name) is None
    assert kept(sim, name) == first  # a delete on B leaves A's entry alone
    storedesk(sim, "delete", name, "--yes", "--wait", data_dir=tmp_path)
    assert kept(sim, name) is None


def test_keyring_copy_that_differs_loses_to_the_cluster_and_the_user_is_told(
    sim: Simulator, tmp_path: Path
) -> None:
    name = unique_store()
    assert storedesk(sim, "create", name, data_dir=tmp_path).returncode == 0
    truth = secret(sim, name)
    stranger = WOOCOMMERCE.generate_credentials(name, {})
    CredentialStore().set(keyring_key(sim, name), stranger.to_json())

    again = storedesk(sim, "create", name, data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert secret(sim, name) == truth
    assert "the keyring's copy for this store differed" in again.stdout + again.stderr
    assert kept(sim, name) == truth  # this cluster's entry now holds what the database knows
    storedesk(sim, "delete", name, "--yes", "--wait", data_dir=tmp_path)


def test_entries_of_storedesk_0_1_migrate_only_when_the_cluster_confirms_them(
    sim: Simulator, other_sim: Simulator, tmp_path: Path
) -> None:
    name = unique_store()
    for cluster in (sim, other_sim):
        assert storedesk(cluster, "create", name, "--no-keyring", data_dir=tmp_path).returncode == 0
    legacy = keyring_key(sim, name).legacy()
    CredentialStore().set(legacy, secret(sim, name).to_json())  # as 0.1 saved it, for A

    on_b = storedesk(other_sim, "create", name, data_dir=tmp_path)
    assert on_b.returncode == 0, on_b.stderr
    assert "differed" in on_b.stdout + on_b.stderr
    assert secret(other_sim, name) != secret(sim, name)
    assert CredentialStore().get(legacy) is not None  # maybe A's: left alone

    shown = storedesk(sim, "credentials", name, data_dir=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert CredentialStore().get(legacy) is None  # A confirmed it: moved
    assert kept(sim, name) == secret(sim, name)
    for cluster in (sim, other_sim):
        storedesk(cluster, "delete", name, "--yes", "--wait", data_dir=tmp_path)


def test_no_password_source_left_refuses_and_recover_brings_them_back(
    sim: Simulator, tmp_path: Path
) -> None:
    name = unique_store()
    assert storedesk(sim, "create", name, data_dir=tmp_path).returncode == 0
    truth = secret(sim, name)
    CredentialStore().delete(keyring_key(sim, name))
    run_tool(HELM4.kubectl, sim, "delete", "secret", f"{name}-credentials", "-n", f"store-{name}")
    before = revision(sim, name)

    refused = storedesk(sim, "create", name, data_dir=tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert f"storedesk credentials {name} --recover" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert revision(sim, name) == before  # nothing changed
    assert kept(sim, name) is None

    recovered = storedesk(
        sim, "credentials", name, "--recover", "--reveal", "-o", "json", data_dir=tmp_path
    )
    assert recovered.returncode == 0, recovered.stderr
    assert "from the helm release" in recovered.stderr
    assert json.loads(recovered.stdout)["database_password"] == truth["database_password"]
    assert kept(sim, name) == truth

    converged = storedesk(sim, "create", name, data_dir=tmp_path)
    assert converged.returncode == 0, converged.stderr
    assert secret(sim, name) == truth
    storedesk(sim, "delete", name, "--yes", "--wait", data_dir=tmp_path)


def test_a_damaged_keyring_entry_is_named_and_the_cluster_copy_still_shows(
    sim: Simulator, tmp_path: Path
) -> None:
    name = unique_store()
    assert storedesk(sim, "create", name, data_dir=tmp_path).returncode == 0
    key = keyring_key(sim, name)
    CredentialStore().set(key, "{not json")

    shown = storedesk(sim, "credentials", name, "--reveal", "-o", "json", data_dir=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["admin_password"] == secret(sim, name).admin_password

    # Without the Secret, the damaged entry is all there is: it is named, with the fix.
    run_tool(HELM4.kubectl, sim, "delete", "secret", f"{name}-credentials", "-n", f"store-{name}")
    broken = storedesk(sim, "credentials", name, data_dir=tmp_path)
    assert broken.returncode == 2
    assert key.username in broken.stderr and "--recover" in broken.stderr
    storedesk(sim, "delete", name, "--yes", "--wait", data_dir=tmp_path)
