"""The secret store keeps tokens in the keyring and never anywhere else."""

from __future__ import annotations

import pytest

from desktop.errors import KeyringUnavailable
from desktop.secrets import SecretStore, account_key


def test_a_token_round_trips_through_the_keyring(memory_keyring):
    store = SecretStore()
    key = account_key("http://example.test/", "Owner@Example.test")
    store.set(key, "refresh-abc")
    assert store.get(key) == "refresh-abc"
    assert memory_keyring.secrets[("LeadFlow", "http://example.test|owner@example.test")]
    store.delete(key)
    assert store.get(key) is None
    store.delete(key)  # deleting twice is fine


def test_without_a_keyring_nothing_is_stored_and_set_says_so(no_keyring, tmp_path):
    store = SecretStore()
    assert not store.available
    assert store.get("k") is None
    with pytest.raises(KeyringUnavailable):
        store.set("k", "refresh-abc")
    store.delete("k")
