"""API errors the simulator answers with, as `Status` bodies shaped like a real API server's."""

from __future__ import annotations

from typing import Any

# HTTP code -> StatusReason, as in k8s.io/apimachinery/pkg/apis/meta/v1/types.go.
_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "AlreadyExists",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class ApiError(Exception):
    """An error the API server reports to the client as a `Status` object."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or _REASONS.get(code, "Unknown")
        self.details = details

    def status(self) -> dict[str, Any]:
        """The `Status` body for this error, its fields in metav1.Status's order."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
        }
        if self.message:
            body["message"] = self.message
        if self.reason:  # plain Go errors reach clients without a reason
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = _ordered_details(self.details)
        body["code"] = self.code
        return body


_DETAIL_ORDER = ("name", "group", "kind", "uid", "causes", "retryAfterSeconds")


def _ordered_details(details: dict[str, Any]) -> dict[str, Any]:
    """StatusDetails's fields in the order Go encodes them."""
    ordered = {k: details[k] for k in _DETAIL_ORDER if k in details}
    ordered.update((k, v) for k, v in details.items() if k not in ordered)
    return ordered


def _details(name: str, group: str, kind: str, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    if kind:
        details["kind"] = kind
    details.update(extra)
    return details


def qualified(plural: str, group: str) -> str:
    """`deployments.apps` for grouped resources, `pods` for core ones (as messages spell them)."""
    return f"{plural}.{group}" if group else plural


def not_found(plural: str, group: str, name: str) -> ApiError:
    """404 for a missing object: `pods "x" not found`."""
    return ApiError(
        404, f'{qualified(plural, group)} "{name}" not found', details=_details(name, group, plural)
    )


def already_exists(plural: str, group: str, name: str) -> ApiError:
    """409 for a create over an existing name."""
    return ApiError(
        409,
        f'{qualified(plural, group)} "{name}" already exists',
        "AlreadyExists",
        details=_details(name, group, plural),
    )


def conflict(plural: str, group: str, name: str, why: str) -> ApiError:
    """409 for a write against a stale resourceVersion (or a similar race)."""
    subject = f'{qualified(plural, group)} "{name}"'
    return ApiError(
        409,
        f"Operation cannot be fulfilled on {subject}: {why}",
        "Conflict",
        details=_details(name, group, plural),
    )


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str]]) -> ApiError:
    """422 with field causes: [(field, "Invalid value: ...")]."""
    what = f"{kind}.{group}" if group else kind
    text = ", ".join(f"{field}: {msg}" for field, msg in causes)
    message = f'{what} "{name}" is invalid: ' + (text if len(causes) == 1 else f"[{text}]")
    return ApiError(
        422,
        message,
        "Invalid",
        details=_details(
            name,
            group,
            kind,
            causes=[
                {"reason": _cause_reason(msg), "message": msg, "field": field}
                for field, msg in causes
            ],
        ),
    )


def _cause_reason(message: str) -> str:
    for prefix, reason in (
        ("Required value", "FieldValueRequired"),
        ("Not found", "FieldValueNotFound"),
        ("Invalid value", "FieldValueInvalid"),
        ("Unsupported value", "FieldValueNotSupported"),
        ("Duplicate value", "FieldValueDuplicate"),
        ("Forbidden", "FieldValueForbidden"),
        ("Too long", "FieldValueTooLong"),
    ):
        if message.startswith(prefix):
            return reason
    return "FieldValueInvalid"


def forbidden(plural: str, group: str, name: str, why: str, **details: Any) -> ApiError:
    """403: `pods "x" is forbidden: <why>` (quota, terminating namespace, RBAC)."""
    subject = f'{qualified(plural, group)} "{name}"' if name else qualified(plural, group)
    return ApiError(
        403,
        f"{subject} is forbidden: {why}",
        "Forbidden",
        details=_details(name, group, plural, **details),
    )


def bad_request(message: str) -> ApiError:
    """400 with a plain message."""
    return ApiError(400, message, "BadRequest")
