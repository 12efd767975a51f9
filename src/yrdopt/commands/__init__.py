"""CLI command modules. Each public module defines ``register(app)`` adding its commands;
:mod:`yrdopt.cli` imports every module found here."""
