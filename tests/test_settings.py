import pytest

from wsgi_plot import create_app
from wsgi_plot.settings import Settings, SettingsError


def test_defaults_give_the_recipe_image():
    s = Settings()
    assert (s.default_dpi, s.default_size) == (300, "4x3")


def test_environment_fills_settings_not_given():
    s = Settings.from_environ({"pool_size": 3}, {"WSGI_PLOT_POOL_SIZE": "9", "WSGI_PLOT_MAX_PIXELS": "1000",
                                                "WSGI_PLOT_METRICS": "off"})
    assert s.pool_size == 3 and s.max_pixels == 1000 and s.metrics is False


@pytest.mark.parametrize("env, name", [
    ({"WSGI_PLOT_POOL_SIZE": "many"}, "WSGI_PLOT_POOL_SIZE"),
    ({"WSGI_PLOT_POOL_SIZE": "0"}, "WSGI_PLOT_POOL_SIZE"),
    ({"WSGI_PLOT_METRICS": "maybe"}, "WSGI_PLOT_METRICS"),
    ({"WSGI_PLOT_DEFAULT_SIZE": "4by3"}, "WSGI_PLOT_DEFAULT_SIZE"),
    ({"WSGI_PLOT_POOL_TIMEOUT": "nan"}, "WSGI_PLOT_POOL_TIMEOUT"),
])
def test_bad_environment_names_the_variable(env, name):
    with pytest.raises(SettingsError, match=name):
        Settings.from_environ({}, env)


def test_bad_argument_names_the_argument():
    with pytest.raises(SettingsError, match="^max_pixels"):
        create_app(max_pixels=0)
    with pytest.raises(TypeError, match="pool_sise"):
        create_app(pool_sise=2)
