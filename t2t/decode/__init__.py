"""Decoding: generic decode params, search strategies (greedy, sampling, beam) and batched inference."""
