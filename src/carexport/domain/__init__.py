"""Value objects and input documents: pure, typed, no I/O."""
