"""Every write: ``<entity>_<verb>(*, ...)`` in one transaction, with its audit event."""
