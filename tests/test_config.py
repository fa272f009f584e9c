import gin
import pytest

import t2t.hparams  # noqa: F401  (registers the sets)
import t2t.models  # noqa: F401  (registers Transformer with gin)
from t2t import config, registry
from t2t.train import learning_rate, trainer


@pytest.fixture(autouse=True)
def clean_gin():
    yield
    gin.clear_config()


def macro(name):
    return gin.query_parameter(f"{name}/macro.value")


def test_sets_have_tensor2tensor_values():
    config.configure("transformer_base")
    base = {name: macro(name) for name in config.macro_names()}
    assert base["hidden_size"] == 512 and base["filter_size"] == 2048 and base["num_heads"] == 8
    assert base["num_encoder_layers"] == base["num_decoder_layers"] == 6
    assert base["layer_prepostprocess_dropout"] == 0.1 and base["label_smoothing"] == 0.1
    assert base["optimizer_adam_beta2"] == 0.997 and base["optimizer_adam_epsilon"] == 1e-9
    assert base["learning_rate_constant"] == 2.0 and base["learning_rate_warmup_steps"] == 8000
    assert base["batch_size"] == 4096 and base["shared_embedding_and_softmax_weights"] is True

    config.configure("transformer_big")
    assert (macro("hidden_size"), macro("filter_size"), macro("num_heads")) == (1024, 4096, 16)
    assert (macro("layer_prepostprocess_dropout"), macro("batch_size")) == (0.3, 2048)

    config.configure("transformer_tiny")
    assert (macro("num_encoder_layers"), macro("hidden_size"), macro("filter_size"),
            macro("num_heads")) == (2, 128, 512, 4)
    assert "Transformer.hidden_size = %hidden_size" in gin.config_str()
    assert trainer.TrainHparams().batch_size == 4096


def test_overrides_reach_the_configurables():
    config.configure("transformer_tiny", "hidden_size=64,num_heads=2,learning_rate_constant=1,"
                     "optimizer=adam")
    assert macro("hidden_size") == 64 and macro("num_heads") == 2
    assert macro("learning_rate_constant") == 1  # an int may stand for a float
    # The schedule reads hidden_size through the same macro.
    rate = learning_rate.learning_rate_schedule(10)
    assert float(rate) == pytest.approx(1.0 * (10 / 8000) * 8000 ** -0.5 * 64 ** -0.5)


@pytest.mark.parametrize("overrides, message", [
    ("hiden_size=64", "unknown hyperparameter 'hiden_size'. Did you mean hidden_size"),
    ("hidden_size=64.5", "is float, but hidden_size is int"),
    ("hidden_size=large", "cannot parse value 'large'"),
    ("shared_embedding_and_softmax_weights=1", "is int, but shared_embedding"),
    ("hidden_size", "is not NAME=VALUE"),
])
def test_bad_overrides_are_errors(overrides, message):
    with pytest.raises(config.HparamsError, match=message):
        config.configure("transformer_tiny", overrides)


def test_gin_files_and_params_apply_in_order(tmp_path):
    gin_file = tmp_path / "mine.gin"
    gin_file.write_text("hidden_size = 96\nnum_heads = 3\n")
    config.configure("transformer_tiny", "num_heads=4", [str(gin_file)],
                     ["Adam.beta2 = 0.98"])
    assert macro("hidden_size") == 96 and macro("num_heads") == 4  # --hparams after --gin_file
    assert gin.query_parameter("Adam.beta2") == 0.98
    with pytest.raises(config.HparamsError, match="--gin_file=.*no such file"):
        config.configure("transformer_tiny", gin_files=[str(tmp_path / "absent.gin")])
    with pytest.raises(config.HparamsError, match="--gin_param="):
        config.configure("transformer_tiny", gin_params=["Adam.beta2 = = 0.98"])


def test_macro_names_lists_every_macro_gin_holds():
    gin.parse_config(f"""
        a = 1
        outer/a = 2
        long = {tuple(range(60))}  # gin.config_str() wraps it over several lines
        ref = @Adam
        alias = %a
        text = 'x # y'
        Adam.beta1 = %a
    """)
    gin.bind_parameter("bound/macro.value", "from Python")
    assert config.macro_names() == ["a", "alias", "bound", "long", "outer/a", "ref", "text"]
    gin.clear_config()
    assert config.macro_names() == []


def test_the_shared_training_wiring_is_not_a_set():
    assert not [name for name in registry.hparams_sets.names() if name.startswith("_")]
    for name in registry.hparams_sets.names():  # every set includes it
        config.configure(name)
        assert "TrainHparams.batch_size = %batch_size" in gin.config_str()
        assert "learning_rate_schedule.schedule = %learning_rate_schedule" in gin.config_str()


def test_split_overrides_respects_brackets_and_quotes():
    assert config.split_overrides("a=1, b=[1,2],c='x,y'") == ["a=1", "b=[1,2]", "c='x,y'"]


def test_saved_config_round_trips(tmp_path):
    config.configure("transformer_tiny", "hidden_size=48")
    config.write_config(str(tmp_path), "algorithmic_reverse", "transformer", "/data/dir")
    gin.clear_config()
    assert config.read_config(str(tmp_path)) == ("algorithmic_reverse", "transformer", "/data/dir")
    assert macro("hidden_size") == 48
    assert not [path.name for path in tmp_path.iterdir() if path.name != "config.gin"]


def test_missing_saved_config_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="written by t2t-trainer"):
        config.read_config(str(tmp_path))
