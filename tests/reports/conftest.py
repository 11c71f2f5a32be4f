from __future__ import annotations

import pytest

from tests.factories import OrgFactory
from tests.reports.builders import Known, known_org


@pytest.fixture(scope="module")
def known(orgs: OrgFactory) -> Known:
    return known_org(orgs)
