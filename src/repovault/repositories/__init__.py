"""Repositories of an organization, their licences and backup status."""
