"""RQ3: model mentions in the forum, trend statistics, the paper's matrices, charts."""
