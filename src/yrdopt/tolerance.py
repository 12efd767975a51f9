"""The checker's round-off, written once.

A limit holds within ``TOLERANCE`` x max(1, |limit|) (:mod:`yrdopt.checker`); a layout within
it is verified, and a figure below it is solver round-off: printed as 0 (the cost words of
:mod:`yrdopt.analysis.costs`, the HTML report) and no increase where ``diagnose`` names one.
Here, importing nothing, so the command line's start path (``analysis.costs``) reads it
without loading the checker (pandas).
"""

TOLERANCE = 1e-6
