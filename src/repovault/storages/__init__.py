"""Configured backup storages (where snapshots go); the backends live in repovault.backends."""
