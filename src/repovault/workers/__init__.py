"""Worker agents that run backups; `embedded` is the server's own."""
