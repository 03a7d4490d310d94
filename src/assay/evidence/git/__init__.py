"""Git, run one way: the hardened policy, GitPython repositories under it, clones, and the
history and commit-message readers the git collectors share."""
