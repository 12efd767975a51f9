"""The compiled production model and its Pyomo twin give the same optimum, term by term."""

import pytest

import yrdopt
from yrdopt.model.compiled import BuildOptions
from yrdopt.model.pyomo_model import solve_pyomo
from conftest import DATA, ROOT

SMALL = [
    DATA / "williams_decentralization.yaml",
    DATA / "toy_features.yaml",
    DATA / "sharing_small.yaml",
    None,  # the embedded default instance
]
SHIPPED = [ROOT / "instances" / "yrd-provinces.yaml", ROOT / "instances" / "yrd-outer.yaml"]
CASES = ([(p, "none") for p in SMALL + SHIPPED] + [(p, "disaggregated") for p in SMALL])


@pytest.mark.parametrize("path,flow_linking", CASES, ids=lambda v: (v.stem if hasattr(v, "stem") else str(v or "default")))
def test_compiled_and_pyomo_optima_equal(path, flow_linking):
    inst = yrdopt.load_instance(path)
    opts = BuildOptions(flow_linking=flow_linking)
    fast = yrdopt.solve(inst, build_options=opts, gap=1e-9)
    twin = solve_pyomo(inst, options=opts, mip_gap=1e-9)
    assert fast.status == twin.status == "optimal"
    assert fast.summary["verified"]
    assert twin.objective == pytest.approx(fast.objective, rel=1e-7, abs=1e-7)
