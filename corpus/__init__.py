"""The hand-labelled corpus (corpus/), installed as package data: label files, raw reports, codebook."""
