"""The shell commands of README.md and docs/*.md, and what of each can be checked offline.

Commands are read from two places in each document:

* every line of a fenced ```bash / ```sh / ```shell / ```console block (``\\`` continuations
  joined, ``#`` comments and a ``$`` prompt dropped, ``a && b`` and ``a; b`` split into commands);
* inline code spans (prose and tables, e.g. the run-modes table) whose first word is one of
  :data:`INLINE_TOOLS` followed by arguments (a bare ``snakemake`` names the tool), unless they
  hold a placeholder (``...``, ``<rule>``): those are templates, not commands to copy.

:func:`problems` checks one command in a workflow folder: the repository files it names exist
(config files, profiles, requirement files, scripts), then a check by kind (a snakemake dry run,
``--help`` of a Python script, ``bash -n`` of a shell script, registered pytest markers, ``--help``
of an ``hf`` subcommand). A command of a kind it does not know is a problem too, so a new command
in the documentation needs a check here.

:func:`link_problems` checks the relative links of a document: the file exists, and an anchor
(``#section``) names one of its headings (GitHub's slugs).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

FENCE_LANGS = {"bash", "sh", "shell", "console"}
INLINE_TOOLS = {"snakemake", "python3", "python", "pip", "bash", "hf", "squeue", "scancel"}
PLACEHOLDER = re.compile(r"\.\.\.|<[^>]*>")
SEPARATORS = {"&&", ";", "||"}
#: Commands of the user's shell or site (no repository file to check): why each is fine.
ENVIRONMENT = {
    "export": "sets an environment variable",
    "tmux": "a terminal multiplexer on the user's machine",
    "squeue": "a Slurm client on the cluster",
    "scancel": "a Slurm client on the cluster",
    "sbatch": "a Slurm client on the cluster",
    ".": "activates the virtual environment made by `python3 -m venv`",
    "source": "activates the virtual environment made by `python3 -m venv`",
}
#: snakemake options whose values are repository files or folders.
SNAKEMAKE_FILE_OPTIONS = {
    "--configfile",
    "--configfiles",
    "--profile",
    "--workflow-profile",
    "-s",
    "--snakefile",
}
#: snakemake options dropped from the dry run, and why.
SNAKEMAKE_AFTER_A_RUN = {"--report": "needs a finished run (tests/test_report_workflow.py)"}
CLOSED_PROXY = "http://127.0.0.1:9"  # a closed local port: anything not local fails at once


@dataclass(frozen=True)
class Command:
    """One documented command: its words, the lines that show it (of one document), and where
    (``file:line``) the documents show it."""

    argv: tuple[str, ...]
    lines: tuple[int, ...]
    places: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return shlex.join(self.argv)

    @property
    def id(self) -> str:
        """A readable pytest id: the command itself."""
        return self.text

    @property
    def kind(self) -> str:
        return command_kind(self.argv)


def _split(text: str) -> list[list[str]]:
    """The commands of one shell line: words, comments dropped, split at && ; ||."""
    lex = shlex.shlex(text, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    commands: list[list[str]] = [[]]
    for word in lex:
        if word in SEPARATORS:
            commands.append([])
        else:
            commands[-1].append(word)
    return [c for c in commands if c]


def _fenced_commands(lines: list[str]) -> tuple[list[tuple[int, list[str]]], set[int]]:
    """Commands of the shell blocks (with their line numbers), and every line inside a fence."""
    found, fenced = [], set()
    lang, pending, start = None, "", 0
    for number, line in enumerate(lines, 1):
        fence = re.match(r"^\s*```\s*([\w-]*)", line)
        if fence and lang is None:
            lang = fence.group(1) or "text"
            fenced.add(number)
            continue
        if fence:
            lang = None
            fenced.add(number)
            continue
        if lang is None:
            continue
        fenced.add(number)
        if lang not in FENCE_LANGS:
            continue
        text = line.rstrip()
        if lang == "console":
            if not pending and not text.lstrip().startswith("$"):
                continue  # output, not a command
            text = re.sub(r"^\s*\$\s?", "", text) if not pending else text
        start = start if pending else number
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        for argv in _split(pending + text):
            found.append((start, argv))
        pending = ""
    return found, fenced


def _inline_commands(lines: list[str], fenced: set[int]) -> list[tuple[int, list[str]]]:
    """Commands in inline code spans outside the fences (prose and tables)."""
    offsets, text = [], ""
    for number, line in enumerate(lines, 1):
        offsets.append((len(text), number))
        text += ("" if number in fenced else line) + "\n"
    found = []
    for match in re.finditer(r"`([^`]+)`", text):
        span = " ".join(match.group(1).split())
        words = span.split(" ")
        if words[0] not in INLINE_TOOLS or len(words) < 2 or PLACEHOLDER.search(span):
            continue  # prose (`snakemake` the tool, `bash`), or a template (`-R <rule>`)
        number = max(n for offset, n in offsets if offset <= match.start())
        found.extend((number, argv) for argv in _split(span))
    return found


def readme_commands(readme: Path) -> list[Command]:
    """Every command of ``readme``, once each (in order of first appearance), with its lines."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    fenced_found, fenced = _fenced_commands(lines)
    seen: dict[tuple[str, ...], list[int]] = {}
    for number, argv in sorted(fenced_found + _inline_commands(lines, fenced), key=lambda f: f[0]):
        seen.setdefault(tuple(argv), []).append(number)
    return [Command(argv, tuple(lines)) for argv, lines in seen.items()]


def doc_files(root: Path) -> list[Path]:
    """The user documentation: README.md, then docs/*.md (sorted)."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def docs_commands(files: list[Path], root: Path) -> list[Command]:
    """Every command of ``files``, once each (in order of first appearance), with its places."""
    seen: dict[tuple[str, ...], list[str]] = {}
    for path in files:
        for command in readme_commands(path):
            name = path.relative_to(root).as_posix()
            seen.setdefault(command.argv, []).extend(f"{name}:{n}" for n in command.lines)
    return [Command(argv, (), tuple(places)) for argv, places in seen.items()]


def command_kind(argv: tuple[str, ...] | list[str]) -> str:
    """What a command is: snakemake, pip, pytest, venv, python-script, bash-script, hf (the
    huggingface_hub CLI), environment (nothing of the repository), or unknown."""
    words = list(argv)
    if words[0] == "hf" and len(words) > 1:
        return "hf"
    if words[0] in ("python3", "python") and len(words) > 2 and words[1] == "-m":
        return {"snakemake": "snakemake", "pip": "pip", "pytest": "pytest", "venv": "venv"}.get(
            words[2], "unknown"
        )
    if words[0] == "snakemake":
        return "snakemake"
    if words[0] == "pip":
        return "pip"
    if words[0] in ("python3", "python") and len(words) > 1 and words[1].endswith(".py"):
        return "python-script"
    if words[0] == "bash" and len(words) > 1 and not words[1].startswith("-"):
        return "bash-script"
    if words[0] in ENVIRONMENT:
        return "environment"
    return "unknown"


def _option_values(argv: list[str], options: set[str]) -> list[str]:
    """The values of ``options`` (each takes the following words up to the next option)."""
    values, taking = [], False
    for word in argv[1:]:
        if word.startswith("-"):
            name, _, inline = word.partition("=")
            taking = name in options
            if taking and inline:
                values.append(inline)
        elif taking:
            values.append(word)
    return values


def _args(command: Command) -> list[str]:
    """The arguments after the program (after ``python3 -m <module>``)."""
    argv = list(command.argv)
    return argv[3:] if argv[0].startswith("python") and argv[1:2] == ["-m"] else argv[1:]


def named_files(command: Command) -> list[str]:
    """The repository files or folders a command names."""
    kind, args = command.kind, ["prog", *_args(command)]
    if kind == "snakemake":
        return _option_values(args, SNAKEMAKE_FILE_OPTIONS)
    if kind == "pip":
        return _option_values(args, {"-r", "--requirement", "-c", "--constraint"})
    if kind == "pytest":
        return [w for w in _positional(args[1:], {"-m", "-k", "-p"}) if "/" in w or w == "tests"]
    if kind in ("python-script", "bash-script"):
        return [command.argv[1]]
    return []


def _positional(args: list[str], with_value: set[str]) -> list[str]:
    words, skip = [], False
    for word in args:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in with_value
        else:
            words.append(word)
    return words


def missing_files(command: Command, root: Path) -> list[str]:
    """The files ``command`` names that ``root`` lacks, one line each."""
    return [
        f"{path}: named by `{command.text}` but missing from the repository"
        for path in named_files(command)
        if not (root / path).exists()
    ]


def offline_env() -> dict[str, str]:
    """The environment of the checks: every proxy a closed local port, so nothing leaves."""
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    env["HF_HUB_OFFLINE"] = "1"  # the hf CLI's update check stays home too
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env[var] = CLOSED_PROXY
    return env


def dry_run_argv(command: Command) -> list[str]:
    """The command as a dry run: ``-n``, ``--cores 1`` if it sets no cores, without options that
    need a finished run (:data:`SNAKEMAKE_AFTER_A_RUN`)."""
    args, words, skip = _args(command), [], False
    for word in args:
        if skip and not word.startswith("-"):
            continue
        skip = word.split("=", 1)[0] in SNAKEMAKE_AFTER_A_RUN
        if not skip:
            words.append(word)
    cores = [] if {"--cores", "-c", "--jobs", "-j"} & set(words) else ["--cores", "1"]
    return [sys.executable, "-m", "snakemake", "-n", *cores, *words]


def _run(argv: list[str], root: Path, timeout: float = 300) -> str | None:
    """None when ``argv`` succeeds in ``root``, else what went wrong."""
    proc = subprocess.run(
        argv, cwd=root, env=offline_env(), capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode == 0:
        return None
    return f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


def _pytest_markers(root: Path) -> set[str]:
    import tomllib

    config = tomllib.loads((root / "pyproject.toml").read_text())
    markers = config.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("markers", [])
    return {m.split(":", 1)[0].strip() for m in markers}


def problems(command: Command, root: Path, run: bool = True) -> list[str]:
    """What is wrong with ``command`` in the workflow folder ``root`` (empty: it works as far as
    it can run offline). ``run=False`` checks only the files it names."""
    missing = missing_files(command, root)
    if missing or not run:
        return missing
    kind = command.kind
    failure = None
    if kind == "snakemake":
        failure = _run(dry_run_argv(command), root)
    elif kind == "python-script":
        failure = _run([sys.executable, command.argv[1], "--help"], root, timeout=60)
    elif kind == "bash-script":
        failure = _run(["bash", "-n", command.argv[1]], root, timeout=60)
    elif kind == "pytest":
        args = ["prog", *_args(command)]
        used = set(re.findall(r"\w+", " ".join(_option_values(args, {"-m"}))))
        unknown = used - {"not", "and", "or"} - _pytest_markers(root)
        failure = f"unregistered pytest markers {sorted(unknown)}" if unknown else None
    elif kind == "hf":
        failure = _run([*command.argv, "--help"], root, timeout=60)
    elif kind == "venv":
        failure = None if importlib.util.find_spec("venv") else "python3 has no venv module"
    elif kind == "unknown":
        failure = (
            "no check known for this kind of command: add one to tests/support/readme_commands.py"
        )
    return [f"`{command.text}`: {failure}"] if failure else []


LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def heading_slugs(text: str) -> set[str]:
    """The anchors GitHub gives a document's headings (lower case, punctuation dropped, spaces
    to hyphens; a repeated heading gets -1, -2, ...)."""
    slugs: set[str] = set()
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            slug = re.sub(r"[^\w\- ]", "", match.group(1).lower()).replace(" ", "-")
            unique, n = slug, 0
            while unique in slugs:
                n += 1
                unique = f"{slug}-{n}"
            slugs.add(unique)
    return slugs


def link_problems(path: Path, root: Path) -> list[str]:
    """The relative links of ``path`` that do not resolve: a missing file (or one outside the
    repository), or an anchor that names no heading of its document."""
    text = path.read_text(encoding="utf-8")
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for target in LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # https:, mailto:
            file, _, anchor = target.partition("#")
            dest = (path.parent / file).resolve() if file else path.resolve()
            where = f"{path.relative_to(root).as_posix()}:{number}: link {target}"
            if root.resolve() not in dest.parents or not dest.exists():
                found.append(f"{where}: no such file in the repository")
            elif anchor and dest.suffix == ".md":
                if anchor not in heading_slugs(dest.read_text(encoding="utf-8")):
                    found.append(f"{where}: no heading #{anchor} in {dest.name}")
    return found
