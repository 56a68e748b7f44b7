"""Settings: one object, read from the environment (prefix CAREXPORT_) through a cached getter.

Every limit on input lives here with its default, and docs/limits.md lists each one with
the hazard it guards against. Limits are read only by the outer layers (files, web,
cli); the core (domain, rules, seals) takes them as arguments.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAREXPORT_", extra="ignore")

    # Relative to the current directory, so `make run` in a fresh clone needs nothing
    # else; db.make_engine creates the var/ directory. PostgreSQL in production:
    # CAREXPORT_DATABASE_URL=postgresql+psycopg://user@host/dbname
    database_url: str = "sqlite:///var/carexport.sqlite3"

    # --- JSON documents (APPLICATION.json, FACTS.json, seal documents, API bodies) ---
    max_document_bytes: int = 64 * MiB  # one JSON document read by a command
    max_json_depth: int = 64  # nesting of objects and arrays in any JSON we parse
    max_key_file_bytes: int = 64 * 1024  # a PEM key file
    # --- the HTTP API ---
    max_body_bytes: int = 16 * MiB  # a request body; larger gets 413
    max_echo_chars: int = 120  # input echoed back in a 422 problem, truncated beyond
    # POST /api/v1/check: checks one server process runs at once (the others queue)
    check_threads: int = Field(default=2, ge=1)

    # --- feed files (carexport import) ---
    max_import_file_bytes: int = 4096 * MiB  # a CSV / JSON Lines / XLSX feed file
    max_line_bytes: int = 1 * MiB  # one line of a CSV or JSON Lines file
    max_cell_chars: int = 10_000  # one cell or JSON Lines value
    max_note_chars: int = 4000  # one note on an application (review pages)
    # 售后服务确认书: VINs one confirmation names (a license holds at most 20), rows of a
    # batch upload (each row is signed: ~2 ms)
    max_confirmation_vins: int = 20
    max_confirmation_batch_rows: int = 2000
    # An Annex 2 file attached to a modified vehicle (PDF, JPEG, PNG); below
    # max_body_bytes, which bounds the whole upload request
    max_material_bytes: int = 10 * MiB
    # Where attached files are kept, named by their SHA-256: outside any served directory
    material_dir: str = "var/materials"
    xlsx_max_uncompressed_bytes: int = 1024 * MiB  # all zip entries of an XLSX, inflated
    xlsx_max_compression_ratio: int = 200  # inflated / compressed, per zip entry
    xlsx_max_rows: int = 1_048_576  # the sheet's declared dimension
    xlsx_max_columns: int = 256
    # rows × columns of a sheet's used area: the XLSX reader holds that grid in memory
    xlsx_max_cells: int = 16_000_000
    import_lock_wait_seconds: float = 0.0  # another import running: refuse at once

    # --- dates in feeds and documents: outside this range a date is implausible ---
    earliest_date: str = "1950-01-01"
    latest_date: str = "2099-12-31"

    # --- the workflow: today's date, logins and API tokens ---
    # Fixes today's date for the whole process (demos, tests); unset, it is the date in
    # Asia/Shanghai (carexport.clock.today).
    today: date | None = None
    min_password_chars: int = 12  # WORKFLOW.md: at least 12 characters
    max_password_chars: int = 1024  # argon2 hashes what it is given: bound the work
    max_username_chars: int = 64
    login_max_failures: int = 10  # failed logins for one username within the window...
    login_window_seconds: int = 15 * 60
    login_lock_seconds: int = 15 * 60  # ...lock it for this long, whatever the password
    token_ttl_seconds: int = 8 * 60 * 60  # an API bearer token lives one working day
    # A browser session ends after this long idle, and in any case after session_ttl.
    session_idle_seconds: int = 2 * 60 * 60
    session_ttl_seconds: int = 12 * 60 * 60
    # The session cookie's Secure flag: None = when the request came over https (behind a
    # proxy, run uvicorn with --proxy-headers); True/False forces it.
    cookie_secure: bool | None = None
    # argon2id cost (RFC 9106 "low memory" profile); tests lower it, never production
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 64 * 1024
    argon2_parallelism: int = 4

    # --- signing keys (docs/decisions/0019-signing-keys.md) ---
    # The passphrase that encrypts every organisation's SM2 private key at rest (PKCS#8
    # PBES2). A secret: no default, and placeholders are refused when a key is used
    # (carexport.documents.keys); demos and tests set an explicit dev value.
    key_encryption_key: SecretStr | None = None

    # --- resident ID numbers of related persons (docs/decisions/0024-credit-records.md) ---
    # The HMAC-SHA256 key under which ID numbers are stored as keyed hashes. A secret: no
    # default, placeholders refused (carexport.credit.person_ids); demos and tests set a
    # dev value. Changing it unlinks every stored person: re-import the enterprise feed.
    person_id_key: SecretStr | None = None

    # --- document PDFs and verification (docs/decisions/0021-document-pdfs.md) ---
    # The address the QR code of every PDF points at: {public_base_url}/verify/{number}
    public_base_url: str = "http://127.0.0.1:8000"
    # Noto Sans CJK SC from Debian's fonts-noto-cjk (face 2 of the collection is SC)
    pdf_font_path: str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    pdf_font_index: int = 2
    pdf_font_cache_dir: str = "var/fonts"  # the font's faster working copy, made once

    # --- background jobs (docs/decisions/0029-jobs.md) ---
    # Where finished jobs keep their result files (one directory per job). With workers
    # on several machines this must be one shared directory (docs/deploy.md).
    job_result_dir: str = "var/jobs"
    job_max_attempts: int = 3  # runs of a job whose worker died, before it is failed
    job_heartbeat_seconds: float = 10.0  # how often a worker says it is alive
    job_stalled_seconds: float = 30.0  # a worker silent this long is dead: its job is retried
    # --- what-if and stock checks (docs/decisions/0030-whatif.md) ---
    whatif_chunk_rows: int = 250_000  # vehicle lines read from the store at a time
    stock_max_vehicles: int = 50_000  # rows of one stock file (check-stock)


@cache
def get_settings() -> Settings:
    return Settings()
