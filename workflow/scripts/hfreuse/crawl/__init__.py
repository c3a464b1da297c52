"""What every crawl shares: request counts (:mod:`.stats`), header helpers (:mod:`.headers`),
progress lines (:mod:`.progress`), states and damaged files (:mod:`.state`), the request journal
(:mod:`.journal`), the quarantine (:mod:`.quarantine`), client set-up and pacing
(:mod:`.pacing`), manifests (:mod:`.manifest`), the shard-runner skeleton (:mod:`.runner`) and the journaled part
files of a shard (:mod:`.parts`).

Each crawl is its own module on top of this layer (``hfreuse.hub.listing``, ``hfreuse.hub.cards``,
``hfreuse.hub.first_commits``, ``hfreuse.hub.card_history``, the forum's crawls); network access
goes only through :mod:`hfreuse.clients`.
"""
