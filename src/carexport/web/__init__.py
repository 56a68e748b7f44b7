"""The web layer: app factory, error handlers."""
