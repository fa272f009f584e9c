"""Data plumbing every problem shares: atomic files, sharded TFRecords, the hash split, token
batching, sentencepiece vocabularies."""
