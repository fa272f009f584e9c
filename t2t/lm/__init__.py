"""N-gram language models (character, word, backoff ARPA/Sphinx) and their files, for CTC
decoding."""
