"""repovault: self-hosted backup service for Git hosting organizations."""

__version__ = "0.1.0"
