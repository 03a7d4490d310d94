"""Framework catalogs, crosswalks from controls to requirements, and coverage."""
