"""Evidence: the model, the kinds' contracts, collectors and the tamper-evident store."""
