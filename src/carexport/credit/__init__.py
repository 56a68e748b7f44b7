"""Enterprise credit: events, negative list, interviews, rectification."""
