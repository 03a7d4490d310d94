"""The code platforms' APIs (GitHub, GitLab): who reviewed what, and how branches are protected.

Git cannot show review that happens on the platform (a squash merge keeps none of it), nor a
branch's protection settings. This package reads them through the platforms' own APIs:

- :mod:`~assay.platforms.identity`: which platform and project a repository is, its API base,
  and the token to use;
- :mod:`~assay.platforms.transport`: one HTTP client for every request, with timeouts,
  retries, rate limits and conditional requests (:mod:`~assay.platforms.cache`);
- :mod:`~assay.platforms.model`: what the providers return, the same for every platform;
- one module per provider (:mod:`~assay.platforms.github`), each listed once in
  :mod:`~assay.platforms.registry`, which also opens them for a collection.

Refusals (no token, 401, 403, 404 on settings) are values
(:class:`~assay.platforms.model.Access`), so evidence can say what Assay was not allowed to
see; only a platform that cannot be reached at all raises.
"""
