"""Approval policies: which chain of roles decides a request of a given kind and size.

A policy is a JSON document per department, ``{kind: [{"min_days": n, "chain": [role, ...]}]}``;
the tier with the largest ``min_days`` not above the request's days applies, and the ``"*"`` kind
serves every kind the document does not name. The default is DOMAIN.md's tiered rule: under three
days the department manager alone; three days or more the department manager, then HR, then the
general manager. The chain is copied onto a request when it is submitted, so editing a policy
never rewrites a request in flight.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.approvals.models import ApprovalPolicy
from scheduler.auth.principal import Principal
from scheduler.auth.roles import Role
from scheduler.errors import ConflictError, ValidationFailedError

#: Roles that may hold an approval step.
APPROVER_ROLES = (Role.TEAM_LEAD, Role.SUPERVISOR, Role.DEPT_MANAGER, Role.HR, Role.GM)

#: DOMAIN.md (seed 004): tiered approval of leave and rest adjustments; swaps need the manager.
DEFAULT_POLICY: dict[str, list[dict[str, Any]]] = {
    "leave": [
        {"min_days": 0, "chain": ["dept_manager"]},
        {"min_days": 3, "chain": ["dept_manager", "hr", "gm"]},
    ],
    "swap": [{"min_days": 0, "chain": ["dept_manager"]}],
    "*": [{"min_days": 0, "chain": ["dept_manager"]}],
}


def validate_policy(document: Any) -> dict[str, list[dict[str, Any]]]:
    """Check a policy document; every problem is named by its path so the client can fix it."""
    errors: list[dict[str, Any]] = []
    if not isinstance(document, dict) or not document:
        raise ValidationFailedError(
            "a policy maps kinds to tiers",
            errors=[{"field": "policy", "message": "a non-empty object"}],
        )
    roles = {r.value for r in APPROVER_ROLES}
    for kind, tiers in document.items():
        where = f"policy.{kind}"
        if not isinstance(tiers, list) or not tiers:
            errors.append({"field": where, "message": "a non-empty list of tiers"})
            continue
        seen: set[float] = set()
        for i, tier in enumerate(tiers):
            at = f"{where}[{i}]"
            if not isinstance(tier, dict) or set(tier) != {"min_days", "chain"}:
                errors.append({"field": at, "message": "an object with min_days and chain"})
                continue
            md = tier["min_days"]
            if not isinstance(md, int | float) or isinstance(md, bool) or md < 0:
                errors.append({"field": f"{at}.min_days", "message": "a number >= 0"})
            elif md in seen:
                errors.append({"field": f"{at}.min_days", "message": "two tiers start here"})
            else:
                seen.add(md)
            chain = tier["chain"]
            if not isinstance(chain, list) or not chain or any(r not in roles for r in chain):
                errors.append(
                    {
                        "field": f"{at}.chain",
                        "message": f"a non-empty list of roles from {', '.join(sorted(roles))}",
                    }
                )
        if 0 not in seen and not any(e["field"].startswith(where) for e in errors):
            errors.append({"field": where, "message": "one tier must start at min_days 0"})
    if errors:
        raise ValidationFailedError("the approval policy is not valid", errors=errors)
    return document


def chain_for(policy: dict[str, list[dict[str, Any]]], kind: str, days: float) -> list[str]:
    """The roles that decide a request of ``kind`` lasting ``days``, in order."""
    tiers = policy.get(kind) or policy.get("*") or DEFAULT_POLICY["*"]
    best = max((t for t in tiers if t["min_days"] <= days), key=lambda t: t["min_days"])
    return list(best["chain"])


async def load_policy(
    session: AsyncSession, department_id: int
) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """The department's policy (the default when it never set one) and its version (0 = default)."""
    row = await session.get(ApprovalPolicy, department_id)
    if row is None:
        return copy.deepcopy(DEFAULT_POLICY), 0
    merged = copy.deepcopy(DEFAULT_POLICY)
    merged.update(row.document)
    return merged, row.version


async def save_policy(
    session: AsyncSession,
    actor: Principal,
    department_id: int,
    document: Any,
    *,
    expected_version: int | None,
) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """Replace the department's policy (department manager or admin); stale version is a 409."""
    actor.require(
        actor.can_manage_department(department_id), "change the approval policy of this department"
    )
    clean = validate_policy(document)
    row = await session.get(ApprovalPolicy, department_id, with_for_update=True)
    current = row.version if row is not None else 0
    if expected_version is not None and expected_version != current:
        raise ConflictError(
            f"the policy is at version {current}, not {expected_version}: reload and try again",
            current_version=current,
        )
    if row is None:
        session.add(ApprovalPolicy(department_id=department_id, document=clean))
    else:
        row.document = clean
    await session.commit()
    return await load_policy(session, department_id)
