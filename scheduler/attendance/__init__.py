"""Attendance: punches from people and devices, derived attendance, penalties, exports.

Facts are stored (``models``: punches, devices, policies); everything judged from them
(lateness, absence, penalties) is derived on read by pure functions (``derive``, ``policy``)
so it always follows the latest roster, leave and corrections.
"""
