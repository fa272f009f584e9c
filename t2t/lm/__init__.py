"""N-gram language models (character, word, backoff ARPA/Sphinx) and their files; used by CTC decoding."""
