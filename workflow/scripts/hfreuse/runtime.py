"""Glue between a rule and a script's ``main``: logging to the rule's log, clean errors."""

from __future__ import annotations

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
    :class:`InputError` ends the job with its one-line message; anything else keeps its
    traceback (a bug, not bad input).
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
        log.error("%s", exc)
        print(f"hfreuse: error in rule {smk.rule}: {exc}", file=sys.stderr)
        sys.exit(1)
