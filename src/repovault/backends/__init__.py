"""Storage backends for snapshot data: one Protocol, a local folder and (later) S3."""
