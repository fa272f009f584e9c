"""Built-in problems; importing this package registers them (the CLI scripts do)."""
from t2t.problems import algorithmic  # noqa: F401  (algorithmic_reverse, algorithmic_addition)
from t2t.problems import translate  # noqa: F401  (translate_enes_apertium, translate_files)
from t2t.problems import translate_wmt  # noqa: F401  (translate_ende_wmt14, _wmt_t2t, enfr_wmt14)
from t2t.problems import speech  # noqa: F401  (speech_espeak_en, librispeech_clean100, librispeech)
