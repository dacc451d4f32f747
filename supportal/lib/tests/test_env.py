from __future__ import annotations

import pytest

from supportal.lib.env import (
    ConfigError,
    email_settings_from_url,
    env_bool,
    env_int,
    env_list,
    env_url,
)


class EnvTests:
    def test_it_reads_booleans_in_common_spellings(self) -> None:
        assert env_bool("X", environ={"X": "Yes"}) is True
        assert env_bool("X", environ={"X": "off"}) is False
        assert env_bool("X", True, environ={}) is True

    def test_it_names_the_variable_on_a_bad_boolean(self) -> None:
        with pytest.raises(ConfigError, match="DEBUG must be a boolean"):
            env_bool("DEBUG", environ={"DEBUG": "maybe"})

    def test_it_names_the_variable_on_a_bad_number(self) -> None:
        with pytest.raises(ConfigError, match="EMAIL_PORT must be a whole number"):
            env_int("EMAIL_PORT", 25, environ={"EMAIL_PORT": "twenty"})
        with pytest.raises(ConfigError, match="MAX_REQUEST_SIZE must be at least 1024"):
            env_int("MAX_REQUEST_SIZE", 5000, minimum=1024, environ={"MAX_REQUEST_SIZE": "10"})

    def test_it_splits_lists_and_drops_blanks(self) -> None:
        assert env_list("H", ["a"], environ={"H": " x.test, ,y.test "}) == ["x.test", "y.test"]
        assert env_list("H", ["a"], environ={}) == ["a"]

    def test_it_refuses_urls_with_another_scheme_or_no_host(self) -> None:
        with pytest.raises(ConfigError, match="DATABASE_URL must start with one of"):
            env_url(
                "DATABASE_URL", "", schemes=("postgres",), environ={"DATABASE_URL": "mysql://h/db"}
            )
        with pytest.raises(ConfigError, match="REDIS_URL must name a host"):
            env_url("REDIS_URL", "", schemes=("redis",), environ={"REDIS_URL": "redis://"})
        with pytest.raises(ConfigError, match="REDIS_URL has an invalid port"):
            env_url("REDIS_URL", "", schemes=("redis",), environ={"REDIS_URL": "redis://h:99999"})

    def test_it_turns_an_email_url_into_smtp_settings(self) -> None:
        settings = email_settings_from_url("smtp+starttls://me%40x.test:p%2Fw@mail.x.test")
        assert settings["EMAIL_HOST"] == "mail.x.test"
        assert settings["EMAIL_PORT"] == 587
        assert settings["EMAIL_HOST_USER"] == "me@x.test"
        assert settings["EMAIL_HOST_PASSWORD"] == "p/w"
        assert settings["EMAIL_USE_TLS"] is True
        assert email_settings_from_url("smtps://mail.x.test")["EMAIL_PORT"] == 465
        assert email_settings_from_url("smtp://mail.x.test:2525")["EMAIL_PORT"] == 2525
