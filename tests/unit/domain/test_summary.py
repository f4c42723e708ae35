"""What the CLI table and the GUI show for a store: age, status text, one row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storedesk.domain.models import Phase, StoreRecord, StoreStatus
from storedesk.domain.status import TABLE_HEADER, describe_age, status_text, table_row

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "shown"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=-30), "0s"),  # a clock a little ahead of the cluster's
        (timedelta(seconds=59), "59s"),
        (timedelta(seconds=60), "1m"),
        (timedelta(minutes=5, seconds=59), "5m"),
        (timedelta(minutes=59, seconds=59), "59m"),
        (timedelta(hours=1), "1h"),
        (timedelta(hours=23, minutes=59), "23h"),
        (timedelta(days=1), "1d"),
        (timedelta(days=364), "364d"),
        (timedelta(days=365), "1y"),
        (timedelta(days=800), "2y"),
    ],
)
def test_describe_age_prints_like_kubectl(ago: timedelta, shown: str) -> None:
    assert describe_age(NOW - ago, NOW) == shown


def test_describe_age_of_an_unknown_time() -> None:
    assert describe_age(None, NOW) == "-"


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (StoreStatus(Phase.READY), "Ready"),
        (StoreStatus(Phase.PROVISIONING, detail="1/2 pods ready"), "Provisioning"),
        (StoreStatus(Phase.FAILED, "ImagePullBackOff"), "Failed: ImagePullBackOff"),
        (StoreStatus(Phase.UNKNOWN, "cluster unreachable"), "Unknown: cluster unreachable"),
    ],
)
def test_status_text(status: StoreStatus, shown: str) -> None:
    assert status_text(status) == shown


def test_table_row() -> None:
    record = StoreRecord(
        name="shop",
        engine="woocommerce",
        namespace="store-shop",
        status=StoreStatus(Phase.FAILED, "quota exceeded", pods_ready=1, pods_total=2),
        url="http://shop.localhost/",
        created=NOW - timedelta(minutes=5),
    )
    assert TABLE_HEADER == ("NAME", "ENGINE", "STATUS", "PODS", "AGE", "URL")
    assert table_row(record, NOW) == (
        "shop",
        "woocommerce",
        "Failed: quota exceeded",
        "1/2",
        "5m",
        "http://shop.localhost/",
    )


def test_table_row_without_url_or_creation_time() -> None:
    record = StoreRecord("shop", "woocommerce", "store-shop", StoreStatus(Phase.DELETING))
    assert table_row(record, NOW) == ("shop", "woocommerce", "Deleting", "0/0", "-", "-")
