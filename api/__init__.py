"""HTTP (and command-line) interface: routes, schemas, guards and error mapping only.

Business rules live in ``scheduler``; handlers parse, call one service function, and answer.
"""
