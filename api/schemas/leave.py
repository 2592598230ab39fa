"""Bodies of the leave routes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from api.schemas.base import Comment, Id, Input, Output


class LeaveIn(Input):
    """Ask for leave (for oneself, or for someone as their manager / team lead)."""

    type: str
    start_date: dt.date
    end_date: dt.date
    employee_id: Id | None = None
    half: Literal["am", "pm"] | None = None
    reason: Comment | None = None
    emergency: bool = False
    certificate_ref: str | None = None


class CertificateIn(Input):
    """A medical certificate: a document reference (a file id, a scan's URL, a form number)."""

    reference: str


class CancelLeaveIn(Input):
    """Why approved leave is called off (required when it is not your own leave)."""

    reason: Comment | None = None


class LeaveOut(Output):
    """A leave request with its days, shifts, certificate state and approval."""

    id: int
    employee_id: int
    department_id: int
    type: str
    start_date: dt.date
    end_date: dt.date
    half: str | None
    days: float
    schedule: list[dict[str, Any]]
    reason: str | None
    status: str
    emergency: bool
    filed_by: int | None
    on_behalf: bool
    certificate: str | None
    certificate_missing: bool
    certificate_due: dt.date | None
    certificate_ref: str | None
    approval_id: int | None
    #: The role that must decide next (``dept_manager``, ``hr``, ``gm``) while pending.
    waiting_for: str | None
    roster_versions: list[dict[str, Any]]
    shortfall: list[dict[str, Any]]
    created_at: dt.datetime


class LeaveTypeOut(Output):
    """A leave type and its rules in a department."""

    code: str
    name: str
    paid: bool
    balance: str | None
    default_entitlement: float
    min_notice_days: int
    proxy: bool
    certificate_from_days: float | None
    half_days: bool
    max_days: float | None
    active: bool


class LeaveTypeIn(Input):
    """A department's override of a type's rules (only the fields it changes)."""

    rules: dict[str, Any]


class BalanceOut(Output, omit_defaults=True):
    """One balance in one year (``note`` only when one was set with it)."""

    kind: str
    year: int
    entitled: float
    used: float
    left: float
    #: What HR or the manager wrote when setting it (e.g. which rest days worked earned 调休).
    note: str | None = None


class BalanceIn(Input):
    """Days granted (annual) or earned by extra work (toil) in a year."""

    days: float
    note: Comment | None = None
