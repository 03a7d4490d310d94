"""Reading CI definitions: GitHub Actions workflows, GitLab CI pipelines, and the tables of
tools and patterns that say what a job does."""
