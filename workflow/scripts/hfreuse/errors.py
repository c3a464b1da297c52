"""Errors that stand for bad input: caught by the script runner and shown as one clear message."""


class InputError(Exception):
    """Bad input (config, raw snapshot, coding sheet, server response).

    The message names the file, row or URL and says what was expected.
    """
