"""Whether a README has card data, decided as the Hub's own client library decides it.

The study's "has card data" is the Hub's ``cardData``: the YAML metadata block of the README.
A hand-written ``\\A---`` test disagrees with the Hub on READMEs whose block follows a blank line
or other leading whitespace (2.6 % of a live sample of 427 models). So the block is found with
``huggingface_hub.repocard.REGEX_YAML_BLOCK`` and read as ``huggingface_hub.repocard.metadata_load``
reads a README file: the text decoded with ``utf-8-sig`` (a leading byte-order mark dropped) and
universal newlines, the block parsed with ``yaml.safe_load``.

:func:`card_metadata` gives what ``metadata_load`` gives (the mapping, or None without a block) and
raises where it raises (YAML that does not parse, a block that is not a mapping);
:func:`has_card_data` is True when that mapping has at least one key, False otherwise (no block,
an empty block, a block that does not parse or is not a mapping), None without a text.

Only the parsing module of huggingface_hub is used here: pure functions on a string, no network.
The architecture test (tests/test_architecture.py) allows this one import outside ``clients``.
"""

from __future__ import annotations

from typing import Any

import yaml
from huggingface_hub.repocard import REGEX_YAML_BLOCK

BOM = "\ufeff"


def _as_read(text: str) -> str:
    """The text as ``metadata_load`` sees the file: no leading BOM, universal newlines."""
    text = text.removeprefix(BOM)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def card_metadata(text: str) -> dict[str, Any] | None:
    """The README's metadata block as ``huggingface_hub.repocard.metadata_load`` reads it: the
    mapping (``{}`` for an empty block), None without a block. Raises ``yaml.YAMLError`` for a
    block that does not parse and ``ValueError`` for one that is not a mapping."""
    match = REGEX_YAML_BLOCK.search(_as_read(text))
    if not match:
        return None
    data = yaml.safe_load(match.group(2))
    if data is None or isinstance(data, dict):
        return data
    raise ValueError("repo card metadata block should be a dict")


def has_card_data(text: str | None) -> bool | None:
    """Whether a README text has card data (a metadata block that is a non-empty mapping, as the
    Hub's ``cardData``); None without a text. A block that does not parse, or is not a mapping
    (``metadata_load`` raises), counts as none."""
    if text is None:
        return None
    try:
        data = card_metadata(text)
    except (yaml.YAMLError, ValueError):
        return False
    return bool(data)
