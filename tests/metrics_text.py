"""Reading /metrics in tests: the Prometheus text format as ``{(name, labels): value}``."""

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict:
    """``{(sample name, frozenset of labels): value}`` from the Prometheus text format."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(scraped: dict, name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)
