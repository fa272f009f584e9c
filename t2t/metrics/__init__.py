"""Scores of decoded text against references: exact match, sacreBLEU, word and character error
rates."""
