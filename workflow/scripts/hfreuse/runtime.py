"""Glue between a rule and a script's ``main``: logging to the rule's log, clean errors."""

from __future__ import annotations

import errno
import logging
import sys
from collections.abc import Callable
from typing import Any

from .errors import InputError

log = logging.getLogger("hfreuse")


def setup_logging(log_path: str | None = None, level: int = logging.INFO) -> None:
    """Log to the rule's log file (and stderr), one line per event, UTC times."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%SZ")
    import time

    fmt.converter = time.gmtime
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        h.setFormatter(fmt)
        root.addHandler(h)
    root.setLevel(level)
    # keep third-party chatter out of the crawl logs
    for noisy in ("urllib3", "httpx", "httpcore", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run_rule(main: Callable[..., Any], smk: Any) -> None:
    """Call ``main(**inputs, **outputs, **params)`` for the ``snakemake`` object ``smk``.

    Inputs, outputs and params must be named, and the names must not clash. An
    :class:`InputError` ends the job with its one-line message, and so does a full disk, a
    read-only file system or a missing write permission (naming the file); anything else keeps
    its traceback (a bug, not bad input).
    """
    log_path = smk.log[0] if len(smk.log) else None
    setup_logging(log_path)
    kwargs: dict[str, Any] = {}
    for group in (smk.input, smk.output, smk.params):
        for name, value in group.items():
            if name in kwargs:
                raise RuntimeError(f"rule {smk.rule}: name {name!r} used twice")
            kwargs[name] = value
    if "threads" in main.__code__.co_varnames:
        kwargs["threads"] = smk.threads
    try:
        main(**kwargs)
    except InputError as exc:
        _fail(smk.rule, str(exc))
    except OSError as exc:
        if exc.errno not in STORAGE_ERRORS:
            raise
        _fail(smk.rule, storage_message(exc))


#: errno -> what the user can do: failures of the storage, not of the code.
STORAGE_ERRORS = {
    errno.ENOSPC: "the disk is full: free space (or point the workflow at a larger disk), rerun",
    errno.EDQUOT: "the disk quota is exceeded: free space or raise the quota, rerun",
    errno.EROFS: "the file system is read-only: run the workflow on a writable disk",
    errno.EACCES: "permission denied: the workflow needs write access here",
}


def storage_message(exc: OSError) -> str:
    """One line for a storage failure: the file, what happened, what to do."""
    where = exc.filename or "a file"
    return f"{where}: {exc.strerror or 'storage error'}; {STORAGE_ERRORS[exc.errno]}"


def _fail(rule: str, message: str) -> None:
    log.error("%s", message)
    print(f"hfreuse: error in rule {rule}: {message}", file=sys.stderr)
    sys.exit(1)
