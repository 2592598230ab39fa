"""Users: creating them, checking their passwords, turning a token subject into a Principal."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.models import User
from scheduler.auth.passwords import hash_password, password_problems, verify_password
from scheduler.auth.principal import Principal
from scheduler.auth.roles import DEPARTMENT_ROLES, ORGANISATION_ROLES, Role
from scheduler.db.base import utcnow
from scheduler.db.paging import Page, paginate
from scheduler.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from scheduler.org.models import Department
from scheduler.people.models import Employee


def principal_of(user: User) -> Principal:
    """The authorisation view of a user row."""
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        department_id=user.department_id,
        employee_id=user.employee_id,
        password_version=user.password_version or 0,
    )


async def authenticate(session: AsyncSession, username: str, password: str) -> User:
    """Check a username and password; one message for every failure, so accounts can't be probed."""
    user = await session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        raise AuthenticationError("username or password is wrong, or the account is disabled")
    user.last_login_at = utcnow()
    await session.commit()
    return user


async def load_principal(
    session: AsyncSession, user_id: int, password_version: int = 0
) -> Principal | None:
    """The principal for a token subject, or None if it must not act.

    None when the user is gone or disabled, or the token was issued under an earlier password
    version (a reset signs the user out everywhere).
    """
    user = await session.get(User, user_id)
    if user is None or not user.active or (user.password_version or 0) != password_version:
        return None
    return principal_of(user)


@dataclass(frozen=True, slots=True)
class NewUser:
    """What it takes to create a login."""

    username: str
    password: str
    role: Role
    display_name: str | None = None
    department_id: int | None = None
    employee_id: int | None = None


async def _check_scope(session: AsyncSession, data: NewUser) -> None:
    errors = []
    if data.role in DEPARTMENT_ROLES and data.department_id is None:
        errors.append(
            {"field": "department_id", "message": f"role {data.role.value} needs a department"}
        )
    if data.role in ORGANISATION_ROLES and data.department_id is not None:
        errors.append(
            {
                "field": "department_id",
                "message": f"role {data.role.value} is organisation-wide; leave department_id empty",
            }
        )
    if data.department_id is not None and await session.get(Department, data.department_id) is None:
        errors.append(
            {"field": "department_id", "message": f"department {data.department_id} does not exist"}
        )
    if data.employee_id is not None:
        employee = await session.get(Employee, data.employee_id)
        if employee is None:
            errors.append(
                {"field": "employee_id", "message": f"employee {data.employee_id} does not exist"}
            )
        elif data.department_id is not None and employee.department_id != data.department_id:
            errors.append(
                {"field": "employee_id", "message": "the employee belongs to another department"}
            )
        elif await session.scalar(select(User.id).where(User.employee_id == data.employee_id)):
            raise ConflictError(f"employee {data.employee_id} already has a login")
    for problem in password_problems(data.password):
        errors.append({"field": "password", "message": problem})
    if errors:
        raise ValidationFailedError("the user cannot be created as given", errors=errors)


async def _default_department(
    session: AsyncSession, actor: Principal | None, data: NewUser
) -> NewUser:
    """Fill a department role's missing ``department_id`` from what already says it.

    A login for an employee belongs to the employee's department, and a department manager
    creates logins only in their own; asking the caller to repeat it made a manager's
    ``{"role": "agent", "employee_id": 5}`` a bare 403.
    """
    if data.department_id is not None or data.role not in DEPARTMENT_ROLES:
        return data
    if data.employee_id is not None:
        employee = await session.get(Employee, data.employee_id)
        if employee is not None:
            return replace(data, department_id=employee.department_id)
    if actor is not None and actor.role == Role.DEPT_MANAGER:
        return replace(data, department_id=actor.department_id)
    return data


async def create_user(session: AsyncSession, actor: Principal | None, data: NewUser) -> User:
    """Create a login. ``actor`` None means the operator at the command line (first admin).

    Admin creates anyone; a department manager creates agents, team leads and supervisors of
    their own department (new staff joining their team).
    """
    data = await _default_department(session, actor, data)
    if actor is not None and actor.role != Role.ADMIN:
        allowed = (
            actor.role == Role.DEPT_MANAGER
            and data.role in STAFF_ROLES
            and data.department_id == actor.department_id
        )
        if not allowed:
            raise PermissionDeniedError(
                f"role {actor.role.value} may not create a {data.role.value} login here: a "
                "department manager creates agent, qa_inspector, team_lead and supervisor "
                "logins of their own department only"
            )
    await _check_scope(session, data)
    if await session.scalar(select(User.id).where(User.username == data.username)):
        raise ConflictError(f"username {data.username!r} is taken", field="username")
    user = User(
        username=data.username,
        password_hash=hash_password(data.password),
        display_name=data.display_name or data.username,
        role=data.role.value,
        department_id=data.department_id,
        employee_id=data.employee_id,
        active=True,
    )
    session.add(user)
    await session.commit()
    return user


async def list_users(
    session: AsyncSession,
    actor: Principal,
    *,
    department_id: int | None,
    role: Role | None,
    limit: int,
    offset: int,
) -> Page[User]:
    """Users visible to ``actor``: admin, HR and GM see all; a manager their department."""
    stmt = select(User).order_by(User.id)
    if not actor.is_org_wide:
        actor.require(actor.role == Role.DEPT_MANAGER, "list users")
        stmt = stmt.where(User.department_id == actor.department_id)
    if department_id is not None:
        stmt = stmt.where(User.department_id == department_id)
    if role is not None:
        stmt = stmt.where(User.role == role.value)
    return await paginate(session, stmt, limit, offset)


async def get_user(session: AsyncSession, actor: Principal, user_id: int) -> User:
    """One user, if ``actor`` may see them (themself always)."""
    user = await session.get(User, user_id)
    visible = user is not None and (
        user.id == actor.user_id
        or actor.is_org_wide
        or (actor.role == Role.DEPT_MANAGER and user.department_id == actor.department_id)
    )
    if user is None or not visible:
        raise NotFoundError(f"user {user_id} not found")
    return user


async def set_active(session: AsyncSession, actor: Principal, user_id: int, active: bool) -> User:
    """Disable or re-enable a login (admin only); a disabled user's tokens stop working at once."""
    actor.require_admin("disable or enable users")
    user = await session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found")
    if user.id == actor.user_id and not active:
        raise ValidationFailedError("you cannot disable your own account")
    user.active = active
    await session.commit()
    return user


async def follow_employee(session: AsyncSession, employee_id: int, *, active: bool) -> User | None:
    """Disable or re-enable the login of an employee who left or came back (the caller commits).

    Someone who has left must not sign in, and the tokens they already hold must stop working:
    disabling refuses both (``authenticate``, ``load_principal``), and the password version is
    bumped as a reset does, so re-enabling the login later does not bring old tokens back.
    Returns the user, or None when the employee has no login.
    """
    user = await session.scalar(
        select(User)
        .where(User.employee_id == employee_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if user is None:
        return None
    if not active:
        user.password_version = (user.password_version or 0) + 1
    user.active = active
    return user


def _require_acceptable(new: str) -> None:
    """422 naming every way a new password falls short."""
    problems = password_problems(new)
    if problems:
        raise ValidationFailedError(
            "the new password is not acceptable",
            errors=[{"field": "new_password", "message": p} for p in problems],
        )


#: Roles whose passwords a department manager may reset (their own staff, not their peers).
STAFF_ROLES = frozenset({Role.AGENT, Role.QA_INSPECTOR, Role.TEAM_LEAD, Role.SUPERVISOR})


async def reset_password(session: AsyncSession, actor: Principal, user_id: int, new: str) -> User:
    """Set someone's password (they forgot it, or it leaked) and sign them out everywhere.

    An administrator may reset anyone's; a department manager those of the staff of their
    department. The person then signs in with the new password and may change it.
    """
    user = await get_user(session, actor, user_id)
    may = actor.role == Role.ADMIN or (
        actor.role == Role.DEPT_MANAGER
        and user.department_id == actor.department_id
        and Role(user.role) in STAFF_ROLES
    )
    if not may or user.id == actor.user_id:
        raise PermissionDeniedError(
            "an administrator resets passwords (a department manager those of their staff); "
            "your own is changed at /me/password"
        )
    _require_acceptable(new)
    user.password_hash = hash_password(new)
    user.password_version = (user.password_version or 0) + 1
    await session.commit()
    return user


async def change_password(session: AsyncSession, actor: Principal, current: str, new: str) -> None:
    """A user changes their own password, proving they know the current one."""
    user = await session.get(User, actor.user_id)
    if user is None or not verify_password(user.password_hash, current):
        # 422, not 401: the session is fine, only this field is wrong (a 401 would make
        # clients sign the user out).
        raise ValidationFailedError(
            "the current password is wrong",
            errors=[{"field": "current_password", "message": "does not match"}],
        )
    _require_acceptable(new)
    user.password_hash = hash_password(new)
    await session.commit()
