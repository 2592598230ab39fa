"""Time clocks: registering a device, its credential, revoking it.

A device punches for anyone of its department with ``Authorization: Device <id>:<secret>``.
The secret is random and shown once; only its hash is stored, and a revoked device's
credential stops working at once in this process (:mod:`scheduler.attendance.device_cache`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.attendance.device_cache import drop_device
from scheduler.attendance.models import AttendanceDevice
from scheduler.auth.principal import Principal
from scheduler.db.base import MAX_ID
from scheduler.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    ValidationFailedError,
)


def hash_secret(secret: str) -> str:
    """SHA-256 of a device secret (random and long, so a fast hash is enough)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _visible(actor: Principal, department_id: int) -> None:
    if not actor.belongs_to(department_id):
        raise NotFoundError(f"department {department_id} not found", field="department_id")


async def create_device(
    session: AsyncSession, actor: Principal, department_id: int, name: str
) -> tuple[AttendanceDevice, str]:
    """Register a time clock; returns it with its secret, shown only this once.

    Another department is answered as if it did not exist (404), as on every department route.
    """
    _visible(actor, department_id)
    actor.require(actor.can_manage_department(department_id), "register devices here")
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailedError(
            "a device needs a name of 1 to 100 characters",
            errors=[{"field": "name", "message": "1 to 100 characters"}],
        )
    secret = secrets.token_urlsafe(32)
    device = AttendanceDevice(
        department_id=department_id,
        name=name,
        secret_hash=hash_secret(secret),
        created_by=actor.user_ref,
    )
    session.add(device)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise ConflictError(
            f"department {department_id} already has a device named {name!r}", field="name"
        ) from exc
    return device, secret


async def list_devices(
    session: AsyncSession, actor: Principal, department_id: int
) -> list[AttendanceDevice]:
    """The department's devices (never their secrets)."""
    _visible(actor, department_id)
    actor.require(actor.can_read_department(department_id), "see this department's devices")
    rows = await session.scalars(
        select(AttendanceDevice)
        .where(AttendanceDevice.department_id == department_id)
        .order_by(AttendanceDevice.name)
    )
    return list(rows.all())


async def revoke_device(
    session: AsyncSession, actor: Principal, device_id: int
) -> AttendanceDevice:
    """Switch a device's credential off (its punches stay)."""
    device = await session.get(AttendanceDevice, device_id)
    if device is None or not actor.can_read_department(device.department_id):
        raise NotFoundError(f"device {device_id} not found")
    actor.require(actor.can_manage_department(device.department_id), "revoke devices here")
    device.active = False
    await session.commit()
    drop_device(device_id)
    return device


async def authenticate_device(session: AsyncSession, authorization: str | None) -> AttendanceDevice:
    """The device of an ``Authorization: Device <id>:<secret>`` header, or a 401."""
    device_id, secret_hash = device_credential(authorization)
    device = await session.get(AttendanceDevice, device_id)
    expected = device.secret_hash if device is not None else hash_secret("")
    if device is None or not hmac.compare_digest(expected, secret_hash) or not device.active:
        raise AuthenticationError("unknown or revoked device credential")
    return device


_DEVICE_ID = re.compile(r"[0-9]{1,19}")


def device_credential(authorization: str | None) -> tuple[int, str]:
    """(device id, secret hash) of a ``Device <id>:<secret>`` header, or a 401.

    An id no device can have (beyond 64 bits) is a wrong credential like any other: it is
    refused here, before a query, so the database driver's own complaint never reaches the
    client. Only ASCII digits count (``str.isdigit`` also takes "²", which ``int`` refuses).
    """
    scheme, _, credential = (authorization or "").partition(" ")
    device_id, _, secret = credential.strip().partition(":")
    if scheme.lower() != "device" or not secret or not _DEVICE_ID.fullmatch(device_id):
        raise AuthenticationError("send Authorization: Device <device id>:<secret>")
    number = int(device_id)
    if not 1 <= number <= MAX_ID:
        raise AuthenticationError("unknown or revoked device credential")
    return number, hash_secret(secret)
