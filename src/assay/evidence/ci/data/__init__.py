"""CI tables: the tools and patterns recognised in CI definitions, and their schema."""
