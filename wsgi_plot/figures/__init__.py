"""Drawing: the figure pool, the one pipeline (lease, load, update, draw), layout, looks applied,
animation frames, alt text, and every private matplotlib attribute (``mpl_compat``)."""
