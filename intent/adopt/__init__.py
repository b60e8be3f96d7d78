"""Adoption of what clusters already hold (SPEC §12): import blocks for the generated roots,
and a summary of what the first apply imports, creates and changes."""
