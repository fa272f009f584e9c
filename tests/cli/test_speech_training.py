"""DeepSpeech2 on espeak speech as a user runs it: t2t-trainer on two replicas, then t2t-decoder
on a list of wav files with WER/CER against references.

Subprocesses, not in-process Trainers: two MirroredStrategies of different models in one process
collide on TF's collective instance keys, which would break later multi-replica tests.
"""

import pytest

from tests.helpers.cli_tools import run_tool

SMALL = ("conv_channels=(4, 4),num_rnn_layers=1,rnn_hidden_size=32,fully_connected_size=32,"
         "batch_size=2000,learning_rate_warmup_steps=10")
CORPUS = ["--gin_param=SpeechEspeakEn.num_train_sentences = 12",
          "--gin_param=SpeechEspeakEn.num_dev_sentences = 4",
          "--gin_param=SpeechEspeakEn.num_test_sentences = 4"]



@pytest.mark.slow
def test_train_on_two_replicas_then_decode_wav_files(tmp_path):
    data_dir, output_dir = tmp_path / "data", tmp_path / "run"
    result = run_tool(
        "trainer", "--problem=speech_espeak_en", "--model=deepspeech2",
        "--hparams_set=deepspeech2_cpu", f"--hparams={SMALL}", *CORPUS, f"--data_dir={data_dir}",
        f"--output_dir={output_dir}", "--train_steps=6", "--log_every=2",
        "--eval_decode_examples=4", "--mesh_shape=batch:2", "--cpu_devices=2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "MirroredStrategy with 2 replica(s)" in result.stderr
    assert "decode/wer" in result.stderr and "decode/cer" in result.stderr

    wavs = sorted((data_dir / "tmp" / "espeak_wavs").glob("*.wav"))[:3]
    (tmp_path / "wavs.txt").write_text("".join(f"{path}\n" for path in wavs))
    (tmp_path / "references.txt").write_text("a b\n" * len(wavs))
    result = run_tool("decoder", f"--output_dir={output_dir}",
                      f"--decode_from_file={tmp_path / 'wavs.txt'}",
                      f"--decode_reference={tmp_path / 'references.txt'}",
                      f"--decode_to_file={tmp_path / 'out.txt'}", "--decode_hparams=beam_size=4")
    assert result.returncode == 0, result.stderr[-3000:]
    assert len((tmp_path / "out.txt").read_text().splitlines()) == len(wavs)
    assert "3 examples  wer" in result.stdout and " cer " in result.stdout
