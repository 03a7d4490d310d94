"""JSON Schemas of Assay's own artefact formats (model evaluation, model card, SLO report,
review export)."""
