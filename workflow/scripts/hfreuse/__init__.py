"""hfreuse: the library behind the workflow (clients, raw formats, parsers, statistics, charts)."""

__version__ = "0.1.0"
