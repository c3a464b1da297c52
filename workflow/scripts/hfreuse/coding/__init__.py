"""Qualitative coding stage (RQ1, RQ2): sample, sheets, import, agreement, taxonomy, charts."""
