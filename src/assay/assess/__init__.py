"""Assessment: the engine that checks controls against evidence, waivers, attestations, gates.

The model (:mod:`assay.assess.model`) is what reports read; the engine
(:mod:`assay.assess.engine`) makes it from a library, an evidence reader and options.
"""
