"""Leave: types and rules (``types``), balances and requests (``models``), filing and approval (``service``)."""
