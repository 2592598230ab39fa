"""Shift swaps (换班): proposal, the colleague's answer, the manager's approval (``service``)."""
