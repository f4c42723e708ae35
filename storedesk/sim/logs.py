"""The pods/log subresource: what the simulator did for a container, never made-up output.

No process runs here, so a container has no output of its own. Its "log" is the
simulator's account of that container, read from the pod and the Events the simulated
kubelet recorded for it: the image pulled (or the pull that failed, and with which
fault), the container created and started, the moment it turned ready, each crash of an
injected CrashLoopBackOff, its exit, its stop. Every line says it comes from the simulator.

The request is checked as kube-apiserver checks it: a pod with several containers needs
`container`; an unknown container, or `previous` for a container that never restarted,
is a 400 in the server's words; a container not yet started has no log (400, "waiting to
start"). `tailLines` and `timestamps` are honoured; `follow` returns what there is and
ends (nothing more will ever be printed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storedesk.sim import resources as res
from storedesk.sim.errors import bad_request

Obj = dict[str, Any]

PREFIX = "storedesk-sim:"


@dataclass(frozen=True)
class _Line:
    when: datetime
    text: str


def pod_log(api: Any, pod: Obj, query: dict[str, str]) -> str:
    """The log text of the container `query` names (or the pod's only container)."""
    name = _container(pod, query.get("container", ""))
    previous = query.get("previous") == "true"
    status = _status_of(pod, name)
    if previous and not status.get("restartCount"):
        raise bad_request(
            f'previous terminated container "{name}" in pod "{pod["metadata"]["name"]}" not found'
        )
    waiting = (status.get("state") or {}).get("waiting") or {}
    if not status or waiting.get("reason") in ("ContainerCreating", "PodInitializing"):
        raise bad_request(
            f'container "{name}" in pod "{pod["metadata"]["name"]}" is waiting to start: '
            f"{waiting.get('reason') or 'ContainerCreating'}"
        )
    lines = _lines(api, pod, name, status)
    if previous:  # the run before the last restart: up to its last crash
        crashes = [i for i, line in enumerate(lines) if "exited with code" in line.text]
        lines = lines[: crashes[-1] + 1] if crashes else lines
    tail = _tail(query.get("tailLines"))
    if tail is not None:
        lines = lines[-tail:] if tail else []
    stamped = query.get("timestamps") == "true"
    out = [
        (_stamp(line.when, nano=True) + " " if stamped else "")
        + f"{_stamp(line.when)} {PREFIX} {line.text}"
        for line in lines
    ]
    return "".join(f"{text}\n" for text in out)


def _container(pod: Obj, asked: str) -> str:
    """The container the request is about, checked as the registry checks it."""
    spec, name = pod.get("spec") or {}, pod["metadata"]["name"]
    containers = [c.get("name", "") for c in spec.get("containers") or ()]
    init = [c.get("name", "") for c in spec.get("initContainers") or ()]
    if not asked:
        if len(containers) == 1:
            return containers[0]
        message = f"a container name must be specified for pod {name}, choose one of: "
        message += _go_list(containers)
        if init:
            message += f" or one of the init containers: {_go_list(init)}"
        raise bad_request(message)
    if asked not in containers + init:
        raise bad_request(f"container {asked} is not valid for pod {name}")
    return asked


def _go_list(names: list[str]) -> str:
    return "[" + " ".join(names) + "]"


def _status_of(pod: Obj, container: str) -> Obj:
    status = pod.get("status") or {}
    for key in ("initContainerStatuses", "containerStatuses"):
        for entry in status.get(key) or ():
            if entry.get("name") == container:
                return dict(entry)
    return {}


def _image(pod: Obj, container: str) -> str:
    spec = pod.get("spec") or {}
    for key in ("initContainers", "containers"):
        for entry in spec.get(key) or ():
            if entry.get("name") == container:
                return str(entry.get("image", ""))
    return ""


def _lines(api: Any, pod: Obj, container: str, status: Obj) -> list[_Line]:
    """What happened to `container`, oldest first, from the pod's Events and status."""
    image = _image(pod, container)
    meta = pod["metadata"]
    created = _time(meta.get("creationTimestamp")) or datetime.now(UTC)
    lines = [
        _Line(
            created,
            f"container {container} of pod {meta['name']} (image {image}) is simulated: "
            "no process runs, these lines say what the simulator did for it",
        )
    ]
    events = res.lookup("", "v1", "events")
    for event in api.store.items(events, meta.get("namespace")):
        ref = event.get("involvedObject") or {}
        if ref.get("uid") != meta.get("uid") or ref.get("name") != meta.get("name"):
            continue
        text = _event_line(event, container, image)
        if text is None:
            continue
        count = int(event.get("count") or 1)
        first = _time(event.get("firstTimestamp")) or created
        last = _time(event.get("lastTimestamp")) or first
        lines.append(_Line(first, text))
        if count > 1:
            lines.append(_Line(last, f"{text} (the same, {count} times so far)"))
    lines += _state_lines(pod, container, status)
    return sorted(lines, key=lambda line: line.when)


def _event_line(event: Obj, container: str, image: str) -> str | None:
    """The line an Event of the pod gives `container`'s log, if it is about it."""
    reason, message = event.get("reason", ""), event.get("message", "")
    about_image = bool(image) and f'"{image}"' in message
    if reason == "Pulling" and about_image:
        return f"pulling image {image}"
    if reason == "Pulled" and about_image:
        return f"pulled image {image} (simulated: nothing was downloaded)"
    if reason == "Failed" and about_image:
        why = message.split(": ", 1)[1] if ": " in message else message
        return f"failed to pull image {image} (injected fault): {why}"
    if reason == "BackOff" and about_image:
        return f"backing off before pulling image {image} again: ImagePullBackOff"
    if reason == "Created" and message == f"Created container: {container}":
        return f"created container {container}"
    if reason == "Started" and message == f"Started container {container}":
        return f"started container {container} (simulated: no process runs)"
    if reason == "BackOff" and f"restarting failed container {container} " in message:
        return (
            f"container {container} exited with code 1 (injected fault: CrashLoopBackOff); "
            "the kubelet restarts it after a back-off"
        )
    if reason == "Killing" and message == f"Stopping container {container}":
        return f"stopping container {container} (the pod is being deleted)"
    return None


def _state_lines(pod: Obj, container: str, status: Obj) -> list[_Line]:
    """Readiness and exit, which the kubelet records in the status, not in Events."""
    lines = []
    state = status.get("state") or {}
    terminated = state.get("terminated") or {}
    if terminated:
        when = _time(terminated.get("finishedAt")) or datetime.now(UTC)
        code = terminated.get("exitCode", 0)
        why = terminated.get("reason", "")
        fault = " (injected fault)" if code else ""
        lines.append(_Line(when, f"container {container} exited with code {code} ({why}){fault}"))
    if status.get("ready"):
        conditions = (pod.get("status") or {}).get("conditions") or ()
        ready: Obj = next((c for c in conditions if c.get("type") == "ContainersReady"), {})
        when = _time(ready.get("lastTransitionTime")) or datetime.now(UTC)
        lines.append(_Line(when, f"container {container} is ready (simulated readiness)"))
    waiting = state.get("waiting") or {}
    if waiting.get("reason") == "CrashLoopBackOff":
        lines.append(
            _Line(
                datetime.now(UTC),
                f"container {container} is waiting: CrashLoopBackOff (injected fault), "
                f"restarted {status.get('restartCount', 0)} times",
            )
        )
    return lines


def _tail(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        tail = int(value)
    except ValueError:
        raise bad_request(f'tailLines: Invalid value: "{value}": must be an integer') from None
    return None if tail < 0 else tail


def _time(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _stamp(when: datetime, nano: bool = False) -> str:
    when = when.astimezone(UTC)
    if nano:
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond * 1000:09d}Z"
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
