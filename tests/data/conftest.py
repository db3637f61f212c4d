"""One synthetic B2B book shared by the generator and ground-truth tests (built once)."""

from __future__ import annotations

import pytest

from segment.data.synthetic import generate_b2b

KW = {"start": "2021-01-01", "end": "2023-12-31"}
AS_OF = "2022-12-31"


@pytest.fixture(scope="session")
def data():
    return generate_b2b(3000, random_state=7, **KW)
