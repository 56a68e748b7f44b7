"""Policy what-if over the store, stock checks for exporters (docs/decisions/0030-whatif.md)."""
