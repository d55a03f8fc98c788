"""``trialspec infer``: draft a protocol's ``datasets:`` from the files of a data folder.

``columns.py`` infers one column's type, levels and unit from its values (vectorized);
``layout.py`` decides a table's shape (one row per subject, several, or an SDTM findings domain
in long form) and drafts each dataset; ``draft.py`` writes the YAML. The draft is a starting
point a person reviews: it lints clean, and says in comments what it could not decide.
"""
