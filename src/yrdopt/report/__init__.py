"""Reports planners read: maps, charts, a self-contained HTML report (see :mod:`.html`)."""
