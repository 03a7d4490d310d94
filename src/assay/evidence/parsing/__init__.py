"""Reading untrusted artefact bytes safely.

- :mod:`.errors`: :class:`ArtefactError` (located problems) and the size check;
- :mod:`.strict_json`: JSON with NaN, infinities and runaway nesting refused;
- :mod:`.safe_xml`: XML through defusedxml, DTDs and entities refused;
- :mod:`.recognition`: what a file is, from its content (never its name);
- :mod:`.values`: times, counts and ratios coerced from artefact values;
- :mod:`.archives`: zip archives opened in memory, with limits;
- :mod:`.own_formats`: Assay's own JSON formats, recognised by a marker and checked by schema.
"""
