"""The management API: HTTP only. Routers parse, authorize and call one service function."""
