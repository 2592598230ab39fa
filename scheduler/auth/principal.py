"""Who is asking, and what they may see.

Every service function that reads or writes people takes a ``Principal`` and asks it; the scoping
rules of the issue live here once: an agent sees only themself, a department role only its
department, HR and the general manager every department (read-only for people), admin all.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.auth.roles import DEPARTMENT_MANAGERS, DEPARTMENT_READERS, Role
from scheduler.errors import PermissionDeniedError


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user, as much of them as authorisation needs."""

    user_id: int
    username: str
    role: Role
    department_id: int | None
    employee_id: int | None
    #: The password version the principal's tokens are issued under (see ``User``).
    password_version: int = 0

    @classmethod
    def operator(cls) -> Principal:
        """The operator at the command line (``rota roster generate``): admin rights, no user row."""
        return cls(
            user_id=0, username="operator", role=Role.ADMIN, department_id=None, employee_id=None
        )

    @property
    def user_ref(self) -> int | None:
        """The users.id to record as the actor (None for the command-line operator)."""
        return self.user_id or None

    @property
    def is_org_wide(self) -> bool:
        """HR, general manager and admin see every department."""
        return self.role in (Role.HR, Role.GM, Role.ADMIN)

    def belongs_to(self, department_id: int) -> bool:
        """Whether the department is within this user's scope at all (their own, or every one).

        Agents belong to their department: they see its published rosters, not its people.
        """
        return self.is_org_wide or self.department_id == department_id

    def can_read_department(self, department_id: int) -> bool:
        """Whether this user may see the department's people and rosters."""
        if self.is_org_wide:
            return True
        return self.role in DEPARTMENT_READERS and self.department_id == department_id

    def can_read_employee(self, employee_id: int, department_id: int) -> bool:
        """Agents see only themself; others as their department scope allows."""
        if self.employee_id == employee_id:
            return True
        return self.can_read_department(department_id)

    def can_manage_department(self, department_id: int) -> bool:
        """Whether this user may change the department's people and teams."""
        if self.role == Role.ADMIN:
            return True
        return self.role in DEPARTMENT_MANAGERS and self.department_id == department_id

    def can_onboard_into(self, department_id: int) -> bool:
        """Creating employees (one by one or by CSV) is also HR's day-one job."""
        return self.role == Role.HR or self.can_manage_department(department_id)

    def require(self, allowed: bool, what: str) -> None:
        """Raise a 403-mapped error naming what was refused."""
        if not allowed:
            raise PermissionDeniedError(f"role {self.role.value} may not {what}")

    def require_admin(self, what: str) -> None:
        """Only the system administrator may do this."""
        self.require(self.role == Role.ADMIN, what)
