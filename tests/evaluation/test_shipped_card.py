"""The shipped model's card says what issue 19 asks of it: the local pages among its training data, the
held-out-host table with intervals, the hosts' calibration, the genre's failure modes, all from measured files."""

import json

from cppcc_nlp.persist import read_card

from conftest import ROOT

SHIPPED = ROOT / "models" / "default"
RESULTS = ROOT / "benchmarks" / "results"


def test_the_card_counts_the_local_pages_as_the_corpus_does(records):
    card = read_card(SHIPPED)
    local = [r for r in records if r.source == "local-cppcc-web"]
    assert card["training_units"] == len(records)
    assert card["training_data_by_source"]["local-cppcc-web"]["units"] == len(local) > 2500


def test_the_card_holds_the_measured_held_out_hosts_with_intervals():
    card = read_card(SHIPPED)
    measured = json.loads((RESULTS / "evaluation.json").read_text(encoding="utf-8"))
    assert card["evaluation"]["heldout"]["protocols"] == measured["protocols"]
    hosts = card["evaluation"]["heldout"]["protocols"]["host"]["all"]["model"]
    assert hosts["interval"]["micro_f1"][0] < hosts["micro_f1"] < hosts["interval"]["micro_f1"][1]
    text = (SHIPPED / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Held-out sites inside the local committees' pages" in text
    assert f"**{hosts['micro_f1']:.3f}** [{hosts['interval']['micro_f1'][0]:.3f}, " in text


def test_the_card_holds_the_hosts_calibration_and_the_genres_failure_modes():
    card = read_card(SHIPPED)
    measured = json.loads((RESULTS / "calibration-local.json").read_text(encoding="utf-8"))
    assert card["calibration"] == measured and "test hosts of local-cppcc-web" in measured["where"]
    assert all(theme["after"]["ece"] <= 0.05 for theme in measured["themes"].values())
    modes = " ".join(card["failure_modes"])
    for rule_example in ("rule 21", "rule 23", "rule 25", "not in training"):
        assert rule_example in modes
