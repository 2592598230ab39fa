"""Approval policies: which chain of roles decides a request of a given kind and size.

A policy is a JSON document per department, ``{kind: [{"min_days": n, "chain": [role, ...]}]}``;
the tier with the largest ``min_days`` not above the request's days applies, and the ``"*"`` kind
serves every kind the document does not name. The default is DOMAIN.md's tiered rule: under three
days the department manager alone; three days or more the department manager, then HR, then the
general manager. The chain is copied onto a request when it is submitted, so editing a policy
never rewrites a request in flight.

What a department may choose is bounded by DOMAIN.md (seed 004), which no policy can loosen:

- the department manager is the first approver of every leave and swap, and requests go up
  level by level with none skipped, so every chain is the start of the ladder
  ``dept_manager, hr, gm`` (a team lead or supervisor decides the manager's step only by
  delegation, ``POST /approval-delegations``, never as a level of its own);
- leave (rest adjustments, 调休, are leave of type ``toil``) of three days or more climbs the
  whole ladder; a department may be stricter (HR from two days) but never laxer;
- a longer request is never decided by fewer levels than a shorter one.

Who sets the policy: HR or admin. The department manager is the first approver of the requests
it governs; letting them rewrite the checks on their own decisions is a conflict of interest.

A document stored before these rules were enforced may break them. It is still read, but each
kind whose tiers break a rule is replaced by DOMAIN.md's default for that kind (an unknown kind
is ignored), and :func:`load_policy_state` names every problem so HR can see and fix it
(``GET /departments/{id}/approval-policy`` shows them; a PUT of a valid policy clears them).
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.approvals.models import ApprovalPolicy
from scheduler.approvals.registry import known_kinds
from scheduler.auth.principal import Principal
from scheduler.auth.roles import Role
from scheduler.errors import ConflictError, ValidationFailedError

log = structlog.get_logger("rota.approvals")

Policy = dict[str, list[dict[str, Any]]]

#: DOMAIN.md's approval levels, lowest first: every chain is a prefix of this ladder.
LADDER: tuple[str, ...] = (Role.DEPT_MANAGER.value, Role.HR.value, Role.GM.value)

#: Leave of this many days or more needs the whole ladder (DOMAIN.md: three days or more).
FULL_CHAIN_FROM_DAYS = 3

#: Kinds whose ``days`` are days of leave, to which the three-day rule applies.
LEAVE_KINDS = frozenset({"leave"})

#: Roles below the department manager: they act for the manager by delegation only.
_DELEGATE_ONLY = frozenset({Role.TEAM_LEAD.value, Role.SUPERVISOR.value})

#: DOMAIN.md (seed 004): tiered approval of leave and rest adjustments; swaps need the manager.
DEFAULT_POLICY: Policy = {
    "leave": [
        {"min_days": 0, "chain": ["dept_manager"]},
        {"min_days": FULL_CHAIN_FROM_DAYS, "chain": list(LADDER)},
    ],
    "swap": [{"min_days": 0, "chain": ["dept_manager"]}],
    "*": [{"min_days": 0, "chain": ["dept_manager"]}],
}

_LADDER_TEXT = ", then ".join(LADDER)


def _chain_problem(chain: Any) -> str | None:
    """Why a chain breaks the ladder (None: it is a valid prefix of it)."""
    if not isinstance(chain, list) or not chain or not all(isinstance(r, str) for r in chain):
        return f"a non-empty list of roles climbing {_LADDER_TEXT}"
    for j, role in enumerate(chain):
        at = f"chain[{j}] {role!r}"
        if role in chain[:j]:
            return f"{at} repeats a level: each level approves once"
        if role in _DELEGATE_ONLY:
            return (
                f"{at} is not an approval level: a {role} decides the department manager's "
                "step only as their delegate (POST /approval-delegations)"
            )
        if role not in LADDER:
            return f"{at} is not an approval level; a chain climbs {_LADDER_TEXT}"
        if j == 0 and role != LADDER[0]:
            return f"{at}: the department manager is the first approver of every request"
        if LADDER.index(role) < j:
            return f"{at} is out of order: levels go up {_LADDER_TEXT}"
        if LADDER.index(role) > j:
            return f"{at} skips {LADDER[j]}: requests go up level by level, none skipped"
    return None


def _kind_errors(kind: str, tiers: Any, kinds: frozenset[str]) -> list[dict[str, Any]]:
    """Every rule the tiers of one kind break, each named by its path in the document."""
    where = f"policy.{kind}"
    if kind != "*" and kind not in kinds:
        allowed = ", ".join([*sorted(kinds), "*"])
        return [{"field": where, "message": f"no request has this kind; kinds: {allowed}"}]
    if not isinstance(tiers, list) or not tiers:
        return [{"field": where, "message": "a non-empty list of tiers"}]
    errors: list[dict[str, Any]] = []
    valid: list[tuple[float, int]] = []  # (min_days, index) of tiers that pass on their own
    seen: set[float] = set()
    for i, tier in enumerate(tiers):
        at = f"{where}[{i}]"
        if not isinstance(tier, dict) or set(tier) != {"min_days", "chain"}:
            errors.append({"field": at, "message": "an object with min_days and chain"})
            continue
        md = tier["min_days"]
        md_ok = False
        if not isinstance(md, int | float) or isinstance(md, bool) or not 0 <= md <= 366:
            errors.append({"field": f"{at}.min_days", "message": "a number of days, 0-366"})
        elif md in seen:
            errors.append({"field": f"{at}.min_days", "message": "two tiers start here"})
        else:
            seen.add(md)
            md_ok = True
        if (problem := _chain_problem(tier["chain"])) is not None:
            errors.append({"field": f"{at}.chain", "message": problem})
        elif md_ok:
            valid.append((md, i))
    if errors:
        return errors
    if 0 not in seen:
        return [{"field": where, "message": "one tier must start at min_days 0"}]
    ordered = sorted(valid)
    for (prev_md, prev_i), (_, i) in itertools.pairwise(ordered):
        if len(tiers[i]["chain"]) < len(tiers[prev_i]["chain"]):
            errors.append(
                {
                    "field": f"{where}[{i}].chain",
                    "message": f"fewer levels than the tier from {prev_md} days "
                    f"({', '.join(tiers[prev_i]['chain'])}): a longer request is never decided "
                    "by fewer levels",
                }
            )
    if kind in LEAVE_KINDS:
        # The tier deciding exactly three days, and every tier after it, climb the whole ladder.
        start = max(md for md, _ in ordered if md <= FULL_CHAIN_FROM_DAYS)
        for md, i in ordered:
            if md >= start and tiers[i]["chain"] != list(LADDER):
                errors.append(
                    {
                        "field": f"{where}[{i}].chain",
                        "message": f"this tier decides leave of {max(md, FULL_CHAIN_FROM_DAYS)} "
                        f"days or more, which needs {_LADDER_TEXT} (DOMAIN.md: leave or rest "
                        f"adjustments of {FULL_CHAIN_FROM_DAYS} days or more); a department may "
                        "be stricter, never laxer",
                    }
                )
    return errors


def policy_errors(document: Any) -> list[dict[str, Any]]:
    """Every rule a policy document breaks, each named by its path (empty: it is valid)."""
    if not isinstance(document, dict) or not document:
        return [{"field": "policy", "message": "a non-empty object of kinds to tiers"}]
    kinds = known_kinds()
    return [e for kind, tiers in document.items() for e in _kind_errors(str(kind), tiers, kinds)]


def validate_policy(document: Any) -> Policy:
    """Check a policy document against DOMAIN.md; a 422 names every problem by its path."""
    if errors := policy_errors(document):
        raise ValidationFailedError("the approval policy is not valid", errors=errors)
    return dict(document)


def chain_for(policy: Policy, kind: str, days: float) -> list[str]:
    """The roles that decide a request of ``kind`` lasting ``days``, in order."""
    tiers = policy.get(kind) or policy.get("*") or DEFAULT_POLICY["*"]
    best = max((t for t in tiers if t["min_days"] <= days), key=lambda t: t["min_days"])
    return list(best["chain"])


@dataclass(frozen=True, slots=True)
class PolicyState:
    """The policy in force, its version (0 = the default), and what is wrong with the stored one.

    ``problems`` is empty unless the stored document breaks a rule; then each kind it names is
    served by DOMAIN.md's default for that kind until HR stores a valid policy.
    """

    policy: Policy
    version: int
    problems: list[dict[str, Any]] = field(default_factory=list)


def in_force(document: Any) -> tuple[Policy, list[dict[str, Any]]]:
    """The default with a stored document's valid kinds over it, and the problems of the rest."""
    merged = copy.deepcopy(DEFAULT_POLICY)
    if not isinstance(document, dict):
        return merged, [{"field": "policy", "message": "not an object; the default is in force"}]
    kinds = known_kinds()
    problems: list[dict[str, Any]] = []
    for kind, tiers in document.items():
        errors = _kind_errors(str(kind), tiers, kinds)
        if errors:
            problems.extend(errors)
        else:
            merged[str(kind)] = copy.deepcopy(tiers)
    return merged, problems


async def load_policy_state(session: AsyncSession, department_id: int) -> PolicyState:
    """The department's policy in force (the default when it never set one), flagged if broken."""
    row = await session.get(ApprovalPolicy, department_id)
    if row is None:
        return PolicyState(copy.deepcopy(DEFAULT_POLICY), 0)
    policy, problems = in_force(row.document)
    if problems:
        log.warning(
            "approval_policy_breaks_domain_rules",
            department_id=department_id,
            version=row.version,
            problems=problems,
        )
    return PolicyState(policy, row.version, problems)


async def load_policy(session: AsyncSession, department_id: int) -> tuple[Policy, int]:
    """The department's policy in force and its version (0 = default)."""
    state = await load_policy_state(session, department_id)
    return state.policy, state.version


def may_set_policy(actor: Principal) -> bool:
    """HR or admin: the department manager must not set the checks on their own decisions."""
    return actor.role in (Role.HR, Role.ADMIN)


async def save_policy(
    session: AsyncSession,
    actor: Principal,
    department_id: int,
    document: Any,
    *,
    expected_version: int | None,
) -> PolicyState:
    """Replace the department's policy (HR or admin); invalid is a 422, stale version a 409."""
    actor.require(
        may_set_policy(actor),
        "change an approval policy: HR or admin set it, since the department manager is the "
        "first approver it governs",
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
    return await load_policy_state(session, department_id)
