"""`floop simulate`: realistic AI traffic with planted truths, written as landing files.

Generation is vectorised (numpy with a seeded Generator per simulated day, then DuckDB SQL to
shape the JSON lines and Parquet rows): there is no Python loop per event, so 10M interactions
stay a matter of minutes. The output is deterministic for a seed: ids are counters, every
random draw comes from `np.random.default_rng([seed, day, stream])`, files are written in a
fixed row order, gzip headers carry mtime 0 and Parquet files carry no timestamps.

Layout, by the day a file landed: `<out>/<day>/<day>-day.<ext>` (or `-am`/`-pm` halves when
days are big; Parquet as one file per event type, `<day>-pm-interaction.parquet`) holds the
events that happened and landed that day; `<out>/<day>/late-from-<first day>.<ext>` holds
events of earlier days that landed that day (late feedback, delayed or corrected outcomes,
labels, an offline collector, resent duplicates), shuffled. An ingest that reads files in path
order thus sees events out of order, late and sometimes twice. Days are generated one by one
and written in chunks of days (about CHUNK_EVENTS events), which bounds memory.

What was planted (rollout, experiments, poisoning, late/corrected outcomes, labeler accuracy,
personal data, bad lines, duplicates, schema drift, counts per file) is written to a truth
JSON file beside the landing folder, never inside it.

Modules: `world` (the simulated world's constants), `plan` (window, files, placement),
`generate` (one day per event type, step by step), `anomalies` (drift, personal data,
duplicates, bad lines), `views` (SQL shaping rows), `writers` (JSON lines, Parquet), `truth`
(the truth file) and `run` (the chunk loop and the command).
"""

from __future__ import annotations

from floop.simulate.run import simulate

__all__ = ["simulate"]
