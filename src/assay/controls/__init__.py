"""Controls: the organisation's own framework-neutral units, and their tests."""
