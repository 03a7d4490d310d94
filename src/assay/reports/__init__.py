"""Reports: the evidence pack (HTML and PDF/A-3b), the SoA workbook, OSCAL, JSON, and
the gate's output formats (:mod:`assay.reports.formats`).

Only this package imports WeasyPrint and openpyxl, and only inside the functions that
render, so importing it stays cheap.
"""
