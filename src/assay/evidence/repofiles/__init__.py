"""Reading files found in a repository: where governance files live, the facts their
contents give, and SLO definition formats."""
