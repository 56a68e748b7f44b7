"""The page kit every feature's `pages.py` uses: templates, language, flash, redirects.

It sits beneath the features (they import it) and above nothing but the clock, so the
web layer stays the only one that assembles the app (docs/decisions/0018-pages-kit.md).
Page authentication (session, CSRF, roles) is accounts' (carexport.accounts.page_auth).
"""
