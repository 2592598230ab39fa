"""Roles and what each may see.

A role is either scoped to one department (agent, team lead, supervisor, department manager)
or organisation-wide (HR, general manager, admin). Keeping this table in one place means the
HTTP guards and the services ask the same question the same way.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The roles of DOMAIN.md, plus the system administrator."""

    AGENT = "agent"
    #: 质检员: listens to calls; a member of the department's staff with an agent's own-data
    #: rights (their shifts, leave, punches) and no scheduling rights (DOMAIN.md).
    QA_INSPECTOR = "qa_inspector"
    TEAM_LEAD = "team_lead"
    SUPERVISOR = "supervisor"
    DEPT_MANAGER = "dept_manager"
    HR = "hr"
    GM = "gm"
    ADMIN = "admin"


#: Roles that must name the department they act in.
DEPARTMENT_ROLES = frozenset(
    {Role.AGENT, Role.QA_INSPECTOR, Role.TEAM_LEAD, Role.SUPERVISOR, Role.DEPT_MANAGER}
)

#: Roles that see only their own records and their department's published rosters: staff
#: without any say over the roster or anyone else's requests.
OWN_DATA_ROLES = frozenset({Role.AGENT, Role.QA_INSPECTOR})

#: Roles that see every department.
ORGANISATION_ROLES = frozenset({Role.HR, Role.GM, Role.ADMIN})

#: Roles that may read everyone in their department (not only themself).
DEPARTMENT_READERS = frozenset({Role.TEAM_LEAD, Role.SUPERVISOR, Role.DEPT_MANAGER})

#: Roles that manage a department's people and teams.
DEPARTMENT_MANAGERS = frozenset({Role.DEPT_MANAGER})
