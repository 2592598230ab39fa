"""Monthly rosters: configuration, solve jobs, draft and published versions, views."""
