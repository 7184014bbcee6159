"""Roles, scopes and a rep's own-only reach: the pure table every service enforces."""

import uuid

import pytest

from leadflow_common.access import (
    BOOTSTRAP,
    KEY_SCOPES,
    ROLE_SCOPES,
    Role,
    Scope,
    ensure_own,
    parse_scopes,
    user_principal,
)
from leadflow_common.credentials import CredentialStore
from leadflow_common.errors import Forbidden, Unauthenticated, Unavailable


def test_roles_hold_what_they_need_and_nothing_more():
    assert (
        Scope.users_admin in ROLE_SCOPES[Role.admin] and Scope.credentials_sync not in ROLE_SCOPES[Role.admin]
    )
    assert (
        Scope.scoring_admin in ROLE_SCOPES[Role.marketer]
        and Scope.users_admin not in ROLE_SCOPES[Role.marketer]
    )
    assert Scope.leads_read not in ROLE_SCOPES[Role.viewer]  # no personal data
    assert not ROLE_SCOPES[Role.viewer] & {Scope.scoring_admin, Scope.routing_admin, Scope.assignments_work}
    assert BOOTSTRAP.scopes == frozenset(Scope)


def test_a_key_takes_only_known_scopes_that_a_key_may_hold():
    assert parse_scopes(["leads:write", "leads:write"]) == {Scope.leads_write}
    for bad in (["leads:delete"], ["users:admin"], ["credentials:sync"]):
        with pytest.raises(ValueError, match=bad[0]):
            parse_scopes(bad)
    assert Scope.users_admin not in KEY_SCOPES


def test_a_rep_reaches_only_what_is_theirs_and_gets_the_same_answer_for_the_rest():
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    rep = user_principal("u1", Role.rep, rep_id=mine, session_id="s")
    ensure_own(rep, Scope.routing_read, mine)
    answers = []
    for owner in (theirs, None):  # another rep's, or nobody's / not found
        with pytest.raises(Forbidden) as refused:
            ensure_own(rep, Scope.routing_read, owner)
        answers.append(refused.value.detail)
    assert answers[0] == answers[1]
    marketer = user_principal("u2", Role.marketer, rep_id=None, session_id="s")
    ensure_own(marketer, Scope.routing_read, theirs)  # not limited
    ensure_own(rep, Scope.scoring_read, None)  # not an own-only scope


def test_before_the_first_refresh_only_the_bootstrap_key_is_known():
    store = CredentialStore("boot")
    assert store.authenticate("boot") is BOOTSTRAP
    with pytest.raises(Unavailable):
        store.authenticate("lf_something")
    for missing in (None, ""):
        with pytest.raises(Unauthenticated):
            store.authenticate(missing)
