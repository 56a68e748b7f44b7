"""The rules of the notice as code: registry, dated parameters and evaluation."""
