"""Hostile and faulty input files: a corpus generated at test time (make_corpus.py), the small
writers it needs (cfb.py, html_xls.py) and the harness that runs one case (harness.py)."""
