"""Organisations, users, logins and API tokens: who is calling, and what they may be.

Kept free of imports so that `carexport org --help` stays fast; use the modules.
"""
