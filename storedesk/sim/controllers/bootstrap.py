"""Objects every cluster starts with beside namespaces and nodes: the two system
PriorityClasses kube-apiserver creates at start (and that `kubectl get priorityclasses`
lists)."""

from __future__ import annotations

from storedesk.sim.controllers.loop import ControllerManager, rt_of
from storedesk.sim.errors import ApiError

PRIORITY_CLASS = rt_of("priorityclasses", "scheduling.k8s.io")
_SYSTEM_CLASSES = (
    (
        "system-node-critical",
        2000001000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    (
        "system-cluster-critical",
        2000000000,
        "Used for system critical pods that must run in the cluster, but can be moved to "
        "another node if necessary.",
    ),
)


class SystemObjects:
    """Creates the bootstrap objects once the controllers run (kept if already there)."""

    def __init__(self, manager: ControllerManager) -> None:
        self.m = manager
        manager.register("SystemObjects", self.ensure)
        manager.enqueue(("SystemObjects", "", ""))

    def ensure(self, _: str, __: str) -> None:
        """Create what is missing."""
        for name, value, description in _SYSTEM_CLASSES:
            if self.m.api.store.get(PRIORITY_CLASS, "", name) is not None:
                continue
            try:
                self.m.api.create(
                    PRIORITY_CLASS,
                    "",
                    {
                        "apiVersion": "scheduling.k8s.io/v1",
                        "kind": "PriorityClass",
                        "metadata": {"name": name},
                        "value": value,
                        "globalDefault": False,
                        "description": description,
                    },
                )
            except ApiError as e:
                if e.code != 409:
                    raise
