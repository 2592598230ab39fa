"""The shared approval mechanism: requests that climb a chain of roles, one audited step at a time.

How another kind of request uses it (attendance corrections, for example):

1. Keep the subject in your own table (``correction_requests``) with its own status, and an
   ``approval_id`` column pointing at ``approval_requests.id``.
2. Write a handler with the four methods of :class:`scheduler.approvals.registry.ApprovalHandler`
   (``before_approve`` to refuse a step, e.g. "the punch was already corrected";
   ``on_approved`` to apply the change; ``on_ended`` to mirror ``rejected`` / ``withdrawn`` /
   ``cancelled``; ``describe`` for what the approver sees), and call
   ``register("attendance_correction", handler)`` at the bottom of your service module. Add the
   module's dotted name to ``registry.HANDLER_MODULES`` so a decision through ``/approvals``
   finds it even when nothing imported your module yet.
3. When the subject is created, call :func:`scheduler.approvals.service.submit` with
   ``kind="attendance_correction"``, the subject's id, the department, the requesting
   principal, the person it is about and a size in days (0 when size does not matter), inside
   your transaction, then commit. The chain comes from the department's policy for that kind
   (``"*"`` — the department manager — when the policy does not name it); a department can
   give the kind its own chain through ``PUT /departments/{id}/approval-policy``.
4. Decisions, withdrawal, listing ("waiting for me", "mine", "all"), delegation, the audit
   trail and ``Idempotency-Key`` replays are the generic ``/approvals`` routes; your handler
   runs inside the deciding transaction, so the subject and the approval change together or
   not at all. Raise a ``DomainError`` from a handler to refuse (the whole decision rolls back).

Rules the service enforces for every kind: only a user holding the current step's role in scope
(or their delegate for today's date) decides it; steps go in order (a later approver trying early
gets 409); nobody decides a request they made or that is about them; a rejection needs a reason
and ends the request; the requester may withdraw while it is pending. Concurrent decisions: the
request row is locked (``FOR UPDATE``) and carries a ``version_id_col``; PostgreSQL serialises on
the lock, SQLite (no row locks) on its single writer plus the version check, so either way exactly
one transition happens and the other caller gets 409.
"""
