"""Ingest: bring the stored articles up to date with the sources (article folders, JSON feeds).

`sources.ingest_sources` is the one pass the scheduler, `feedbot ingest` and the dry run run:
files first, then feeds (`files`, `feeds`). Both read the same fields into the same article
(`fields`; a file's YAML comes from `front_matter`, a feed's pages from `feed_pages`), share one
identity (`urls`), and decide which stored version wins by the rules side by side in `versions`.
"""
