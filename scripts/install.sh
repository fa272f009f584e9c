#!/usr/bin/env bash
# Installs t2t and everything its shipped problems need into ./.venv (Debian or Ubuntu).
# Safe to re-run. Set T2T_SKIP_APT=1 to skip the Debian packages (e.g. without root).
set -euo pipefail
cd "$(dirname "$0")/.."

# Python itself; fortunes + apertium-eng-spa build translate_enes_apertium; espeak-ng + sox
# synthesize and resample the speech of speech_espeak_en; wamerican's word list
# (/usr/share/dict/american-english) is the lexicon of its word LM (t2t-word-lm --lexicon),
# wordnet-base's example sentences may be added to its LM text (SpeechEspeakEn.lm_text_sources),
# and pocketsphinx-en-us's US English trigram is the backoff LM mixed into that word LM
# (decode hparam backoff_lm_path; sphinxbase-utils's sphinx_lm_convert checks our reader of it).
DEBIAN_PACKAGES=(python3 python3-venv python3-pip fortunes apertium-eng-spa espeak-ng sox wamerican
                 wordnet-base pocketsphinx-en-us sphinxbase-utils)

if [[ "${T2T_SKIP_APT:-0}" != 1 ]] && command -v apt-get >/dev/null; then
  missing=()
  for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if ((${#missing[@]})); then
    sudo_cmd=""; [[ $(id -u) == 0 ]] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
  fi
fi

python3 - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"t2t needs Python >= 3.11; python3 is {sys.version.split()[0]}")
PY

[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[cpu,test]"
echo "t2t installed in $(pwd)/.venv; activate it with: source .venv/bin/activate"
