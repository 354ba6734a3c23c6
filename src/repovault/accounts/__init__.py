"""Users, roles, passwords, access tokens and login throttling."""
