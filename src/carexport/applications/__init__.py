"""Applications: filing, pre-check, review, decision, license issue."""
