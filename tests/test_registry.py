import pytest

from t2t import registry


@pytest.fixture
def fresh():
    return registry.Registry("widget")


def test_names_default_to_snake_case(fresh):
    @fresh.register
    class AlgorithmicReverseLM2:
        pass

    @fresh.register("custom")
    class Other:
        pass

    assert fresh.names() == ["algorithmic_reverse_lm2", "custom"]
    assert fresh.get("custom") is Other
    assert AlgorithmicReverseLM2.registered_name == "algorithmic_reverse_lm2"


def test_registering_a_name_twice_is_an_error(fresh):
    @fresh.register
    def my_set():
        return ""

    with pytest.raises(registry.DuplicateNameError, match="'my_set' is already registered"):
        fresh.add("my_set", lambda: "")


def test_unknown_name_lists_close_names(fresh):
    for name in ("algorithmic_reverse", "algorithmic_addition", "translate_ende"):
        fresh.add(name, object())
    with pytest.raises(registry.UnknownNameError) as error:
        fresh.get("algorithmic_revers")
    message = str(error.value)
    assert "Did you mean: algorithmic_reverse" in message
    assert "translate_ende" in message  # the full list follows


def test_built_ins_are_registered():
    import t2t.hparams  # noqa: F401
    import t2t.models  # noqa: F401
    import t2t.problems  # noqa: F401

    assert {"algorithmic_reverse", "algorithmic_addition"} <= set(registry.problems.names())
    assert "transformer" in registry.models
    assert {"transformer_tiny", "transformer_base", "transformer_big"} <= set(
        registry.hparams_sets.names())
    assert "transformer_tiny" in registry.help_text()


def test_usr_dir_errors_name_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such directory"):
        registry.import_usr_dir(str(tmp_path / "absent"))
    with pytest.raises(FileNotFoundError, match="__init__.py"):
        registry.import_usr_dir(str(tmp_path))
