"""The study report: data dictionary, run manifest, summary, HTML."""
