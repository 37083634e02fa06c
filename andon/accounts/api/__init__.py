"""Accounts API, one module per resource: token log-in and the caller's profile (`auth`),
people, departments, roles and permissions, imports and exports (routes: accounts/api_urls.py)."""
