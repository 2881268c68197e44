"""What every room may import: the error family, number formatting, and the ``Frame`` type."""
