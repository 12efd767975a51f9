"""The planner's workbench: ``yrdopt app`` serves a local web application over the Python API.

A thin shell: :mod:`.workspace` keeps scenarios on disk as the files ``yrdopt solve`` writes,
:mod:`.jobs` runs solves one at a time in the background, :mod:`.views` turns solutions,
comparisons and explanations into JSON for the page, :mod:`.server` is the HTTP layer (stdlib)
and ``static/`` the page itself (hand-written HTML, CSS and JavaScript; no third-party assets).
"""
