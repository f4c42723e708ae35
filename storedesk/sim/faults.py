"""Fault injection: failing images and pods, API latency, RBAC denials (the outage switch
lives on the Simulator, which owns the listening socket)."""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass

IMAGE_FAILURES = ("ImagePullBackOff", "ErrImagePull", "CrashLoopBackOff", "Error")


@dataclass(frozen=True)
class Denial:
    """Refuse `verb` on `resource` (optionally only in `namespace`), like missing RBAC."""

    verb: str
    resource: str
    namespace: str | None = None


class Faults:
    """The faults currently switched on; safe to change while clients run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._images: list[tuple[str, str]] = []
        self._pods: list[tuple[str, str]] = []
        self._denials: list[Denial] = []
        self.latency = 0.0  # seconds added to every API request (watch streams excepted)

    def fail_image(self, pattern: str, reason: str = "ImagePullBackOff") -> None:
        """Containers whose image matches the glob `pattern` fail with `reason`."""
        if reason not in IMAGE_FAILURES:
            raise ValueError(f"reason must be one of {', '.join(IMAGE_FAILURES)}, not {reason!r}")
        with self._lock:
            self._images.append((pattern, reason))

    def clear_image_failures(self) -> None:
        """Let every image start again."""
        with self._lock:
            self._images.clear()

    def image_failure(self, image: str) -> str | None:
        """The failure reason for this image, if a pattern matches."""
        with self._lock:
            for pattern, reason in self._images:
                if fnmatch.fnmatchcase(image, pattern):
                    return reason
        return None

    def fail_pod(self, pattern: str, reason: str = "Error") -> None:
        """Pods whose name (or whose controller's name, e.g. a Job's) matches the glob
        `pattern` fail with `reason`: "Error" exits 1 (a Job or hook pod then fails, a
        restarting one crash-loops), the image reasons fail the pull."""
        if reason not in IMAGE_FAILURES:
            raise ValueError(f"reason must be one of {', '.join(IMAGE_FAILURES)}, not {reason!r}")
        with self._lock:
            self._pods.append((pattern, reason))

    def clear_pod_failures(self) -> None:
        """Let every pod run again."""
        with self._lock:
            self._pods.clear()

    def pod_failure(self, name: str, owners: list[str] | tuple[str, ...] = ()) -> str | None:
        """The failure reason for a pod of this name (or owned by these), if one matches."""
        with self._lock:
            for pattern, reason in self._pods:
                if any(fnmatch.fnmatchcase(n, pattern) for n in (name, *owners)):
                    return reason
        return None

    def deny(self, verb: str, resource: str, namespace: str | None = None) -> None:
        """Answer 403 Forbidden to `verb` on `resource` (e.g. "create", "namespaces").
        Port-forward is checked as RBAC names it, "pods/portforward": denying "pods" leaves
        it alone, as a Role granting pods/portforward apart from pods would."""
        with self._lock:
            self._denials.append(Denial(verb, resource, namespace))

    def denied(self, verb: str, resource: str, namespace: str | None) -> bool:
        """Whether this request is refused by a denial."""
        with self._lock:
            return any(
                d.verb in (verb, "*")
                and d.resource in (resource, "*")
                and (d.namespace is None or d.namespace == namespace)
                for d in self._denials
            )


def parse_fail_image(spec: str) -> tuple[str, str]:
    """`PATTERN=REASON` from the command line (REASON defaults to ImagePullBackOff)."""
    pattern, _, reason = spec.partition("=")
    if not pattern:
        raise ValueError(f"--fail-image needs PATTERN[=REASON], got {spec!r}")
    return pattern, reason or "ImagePullBackOff"
