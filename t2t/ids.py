"""The ids every vocabulary reserves: padding and end of sequence.

PAD_ID pads batches (and is the start symbol of shifted targets and the CTC blank); EOS_ID ends
every stored sequence. A problem's own symbols start at NUM_RESERVED_IDS.
"""
PAD_ID = 0
EOS_ID = 1
NUM_RESERVED_IDS = 2
