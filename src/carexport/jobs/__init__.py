"""Long work in the background: what-if runs, large imports, batch confirmations.

A job is a row of our own (`jobs`, what the pages show: kind, parameters, who asked,
status, progress, result, error) and, on PostgreSQL, a procrastinate job that a
`carexport worker` on any machine takes; on SQLite a thread of the process that asked
(docs/decisions/0029-jobs.md).
"""
