"""Backup plans: what to back up, when, where, and how it is kept."""
