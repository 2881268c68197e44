"""What the service's byte-bounded stores (the figure pool, the response cache) share."""

#: An object above this share of a store's byte budget is never kept: one outsized request then
#: cannot evict more than a quarter of the store, and four such objects still fit while in use.
LARGEST_SHARE = 4


def no_report(*args: object) -> None:
    """The callback a store reports to when its owner gave none (no metrics)."""
