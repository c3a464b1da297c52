"""Hub stage: raw snapshot format, crawl, demo generator, parse, monthly trends, charts."""
