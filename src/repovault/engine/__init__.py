"""The backup engine: git transfer, the snapshot format, codecs, encryption, restore, verify,
retention. It knows nothing of HTTP or the database: plain arguments and a storage Backend."""
