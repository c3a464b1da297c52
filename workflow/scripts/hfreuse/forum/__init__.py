"""Forum stage: raw Discourse snapshot format, crawl, demo generator, parse, statistics, charts."""
