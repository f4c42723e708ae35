"""The create queue both fronts share: a few creates at once, the rest wait holding nothing."""

from __future__ import annotations

from storedesk.provisioning.app import CreateQueue


def test_at_most_size_start_and_the_rest_start_in_order_as_others_finish() -> None:
    queue, started, dropped = CreateQueue(size=2), [], []
    for n in range(5):
        queue.submit(lambda n=n: started.append(n), lambda n=n: dropped.append(n))
    assert (started, queue.waiting) == ([0, 1], 3)
    queue.finished()
    assert started == [0, 1, 2]
    queue.finished()
    queue.finished()
    assert (started, queue.waiting) == ([0, 1, 2, 3, 4], 0)


def test_dropped_creates_never_start() -> None:
    queue, started, dropped = CreateQueue(size=1), [], []
    for n in range(3):
        queue.submit(lambda n=n: started.append(n), lambda n=n: dropped.append(n))
    queue.drop_waiting()
    queue.finished()
    assert (started, dropped, queue.waiting) == ([0], [1, 2], 0)
