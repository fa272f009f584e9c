"""Decoding: the decode params every model shares, search strategies (greedy, sampling, beam) and
batched inference."""
