"""Voilà runs every widget notebook at once, in the background, before the widgets are timed.

Under ``course.py test`` the scheduler (tests/conftest.py) hands this file to the worker that
will run the browser tests as soon as nothing else is left to hand out: the first test starts
Voilà while the other workers finish their last tests, so the notebooks' cells (07 trains a
network, 06 several) run then; the second test runs when the browser tests start, alone.
"""
import urllib.request

import pytest


def test_voila_answers_while_it_runs_the_widget_notebooks(voila):
    if not voila.preheated:
        pytest.skip("no widget test in this session: no notebook to run ahead")
    with urllib.request.urlopen(voila.url("/"), timeout=10) as reply:
        assert reply.status == 200


def test_every_widget_notebook_has_run_in_its_own_kernel(voila):
    assert voila.wait_until_preheated() == [], voila.log_tail(3000)
