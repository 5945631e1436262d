"""Theme shares with intervals (the shares package): the estimators, their intervals, models, reports and the CLI."""

from __future__ import annotations

import csv
import json
import os
from types import SimpleNamespace

import numpy as np
import pytest

from cppcc_nlp import estimate_shares
from cppcc_nlp.errors import ModelError
from cppcc_nlp.shares import METHODS, SHARE_FIELDS, SHARE_METHODS, ErrorRates, adjust, shares_from_scores

from conftest import ROOT

THEMES = ("a", "b")


class KnownErrorModel:
    """A stand-in engine whose error rates are known: theme k is predicted with probability tpr[k] on its
    positives and fpr[k] on its negatives. Units carry their own truth (as their context, which an engine is
    given beside the texts); the held-out folds follow the same rates."""

    themes = THEMES

    def __init__(self, tpr, fpr, heldout_units: int = 4000, seed: int = 0):
        self.tpr, self.fpr = np.asarray(tpr, float), np.asarray(fpr, float)
        self.rng = np.random.default_rng(seed)
        truth = self.rng.random((heldout_units, len(THEMES))) < 0.3
        self.thresholds = np.full(len(THEMES), 0.5)
        self.heldout = (self.scores(truth), truth.astype(np.uint8))

    def scores(self, truth: np.ndarray) -> np.ndarray:
        on = self.rng.random(truth.shape) < np.where(truth, self.tpr, self.fpr)
        return np.where(on, 0.9, 0.1)  # crisp scores: the predicted label is what counts

    def predict_proba(self, texts, contexts=None) -> np.ndarray:
        return self.scores(np.array(contexts, dtype=bool).reshape(len(texts), len(THEMES)))


def units_with_shares(shares: dict, n: int, rng) -> tuple[list, list, dict]:
    """``n`` units per group whose themes are on with the given probabilities; the groups' realised shares."""
    units, groups, realised = [], [], {}
    for group, probabilities in shares.items():
        truth = rng.random((n, len(THEMES))) < np.asarray(probabilities)
        units += [SimpleNamespace(text="", context=row) for row in truth]
        groups += [group] * n
        realised[group] = truth.mean(axis=0)
    return units, groups, realised


# -- the estimators --------------------------------------------------------------------------------------


def test_adjusted_inverts_the_error_rates_and_clips_to_the_unit_interval():
    # tpr 0.8, fpr 0.1: a true share of 0.4 is counted as 0.1 + 0.4 * 0.7 = 0.38
    assert adjust(0.38, 0.8, 0.1) == pytest.approx(0.4)
    assert adjust(0.05, 0.8, 0.1) == 0.0 and adjust(0.95, 0.8, 0.1) == 1.0
    assert adjust(0.3, 0.5, 0.5) == pytest.approx(0.3)  # no information to correct with: the count is kept


def test_adjusted_recovers_the_true_shares_where_count_does_not():
    model = KnownErrorModel(tpr=[0.7, 0.9], fpr=[0.15, 0.02], heldout_units=20000)
    truth = {"low": [0.05, 0.1], "middle": [0.3, 0.5], "high": [0.8, 0.9]}
    units, groups, realised = units_with_shares(truth, 5000, np.random.default_rng(1))
    count = estimate_shares(units, groups, method="count", model=model)
    adjusted = estimate_shares(units, groups, method="adjusted", model=model)
    for group in truth:
        for k, theme in enumerate(THEMES):
            assert abs(adjusted.cell(group, theme)["share"] - realised[group][k]) < 0.035
            row = adjusted.cell(group, theme)
            assert row["low"] <= realised[group][k] <= row["high"]
    # count is pulled towards the false-positive rate at the bottom and the true-positive rate at the top
    assert count.cell("low", "a")["share"] - realised["low"][0] > 0.1
    assert realised["high"][0] - count.cell("high", "a")["share"] > 0.1
    assert count.cell("high", "a")["high"] < realised["high"][0]  # and its interval misses the truth


def test_probability_is_the_mean_score_and_recovers_calibrated_shares():
    rng = np.random.default_rng(2)
    p = rng.beta(0.6, 1.4, size=(20000, 2))  # calibrated scores: each unit's theme is on with its probability
    truth = rng.random(p.shape) < p
    groups = np.repeat(["x", "y"], 10000)
    table = shares_from_scores(p, groups, method="probability", themes=THEMES)
    for group in ("x", "y"):
        inside = groups == group
        assert table.cell(group, "a")["share"] == pytest.approx(p[inside, 0].mean(), abs=1e-4)
        assert abs(table.cell(group, "a")["share"] - truth[inside, 0].mean()) < 0.02


def test_adjusted_probability_corrects_the_mean_score():
    rng = np.random.default_rng(3)
    heldout_y = rng.random((4000, 2)) < 0.4
    score = lambda y: np.clip(np.where(y, 0.7, 0.2) + rng.normal(0, 0.1, y.shape), 0, 1)  # noqa: E731
    rates = ErrorRates.from_heldout(score(heldout_y), heldout_y, [0.5, 0.5], THEMES)
    y = rng.random((5000, 2)) < [0.1, 0.6]
    table = shares_from_scores(score(y), None, method="adjusted-probability", thresholds=[0.5, 0.5], rates=rates,
                               themes=THEMES)
    assert table.cell("all", "a")["share"] == pytest.approx(y[:, 0].mean(), abs=0.02)
    assert table.cell("all", "b")["share"] == pytest.approx(y[:, 1].mean(), abs=0.02)
    plain = shares_from_scores(score(y), None, method="probability", themes=THEMES)
    assert abs(plain.cell("all", "a")["share"] - y[:, 0].mean()) > 0.1


def _quapy_case(seed: int = 0):
    """A binary problem with a logistic regression: training, validation (the held-out folds) and test sets."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)

    def sample(n, prevalence):
        y = (rng.random(n) < prevalence).astype(int)
        return rng.normal(y[:, None] * 1.2, 1.0, (n, 3)), y

    (X, y), (Xv, yv) = sample(600, 0.5), sample(500, 0.5)
    classifier = LogisticRegression().fit(X, y)
    tests = [sample(400, prevalence)[0] for prevalence in (0.05, 0.3, 0.7, 0.95)]
    return classifier, X, y, Xv, yv, tests


@pytest.mark.parametrize("method", ["adjusted", "adjusted-probability"])
def test_binary_adjusted_methods_agree_with_quapy(method):
    qp_aggregative = pytest.importorskip("quapy.method.aggregative")
    classifier, X, y, Xv, yv, tests = _quapy_case()
    kind = qp_aggregative.ACC if method == "adjusted" else qp_aggregative.PACC
    for solver in ("exact-raise", "minimize"):
        quantifier = kind(classifier, fit_classifier=False, val_split=(Xv, yv), solver=solver).fit(X, y)
        rates = ErrorRates.from_heldout(classifier.predict_proba(Xv)[:, 1:], yv[:, None], [0.5], ["on"])
        for X_test in tests:
            ours = shares_from_scores(classifier.predict_proba(X_test)[:, 1:], None, method=method, thresholds=[0.5],
                                      rates=rates, themes=["on"], rounds=10)
            assert ours.rows[0]["share"] == pytest.approx(quantifier.predict(X_test)[1], abs=2e-4)


def test_multi_label_adjustment_is_one_binary_problem_per_theme():
    rng = np.random.default_rng(4)
    y = rng.random((3000, 2)) < [0.3, 0.6]
    p = np.clip(np.where(y, 0.75, 0.25) + rng.normal(0, 0.2, y.shape), 0, 1)
    rates = ErrorRates.from_heldout(p[:1500], y[:1500], [0.5, 0.5], THEMES)
    both = shares_from_scores(p[1500:], None, method="adjusted", thresholds=[0.5, 0.5], rates=rates, themes=THEMES)
    for k, theme in enumerate(THEMES):
        alone = ErrorRates.from_heldout(p[:1500, [k]], y[:1500, [k]], [0.5], [theme])
        one = shares_from_scores(p[1500:, [k]], None, method="adjusted", thresholds=[0.5], rates=alone, themes=[theme])
        assert both.cell("all", theme)["share"] == one.rows[0]["share"]


# -- intervals ---------------------------------------------------------------------------------------------


def test_adjusted_intervals_cover_the_true_share_about_95_percent_of_the_time():
    rng = np.random.default_rng(5)
    heldout_y = rng.random((600, 2)) < 0.35
    tpr, fpr = np.array([0.75, 0.85]), np.array([0.1, 0.05])
    predict = lambda y: rng.random(y.shape) < np.where(y, tpr, fpr)  # noqa: E731
    rates = ErrorRates.from_heldout(predict(heldout_y).astype(float), heldout_y, [0.5, 0.5], THEMES)
    true_shares = rng.uniform(0.0, 0.7, size=(300, 2))
    size = 40
    y = np.vstack([rng.random((size, 2)) < share for share in true_shares])
    groups = np.repeat(np.arange(len(true_shares)), size)
    table = shares_from_scores(predict(y).astype(float), groups, method="adjusted", thresholds=[0.5, 0.5], rates=rates,
                               themes=THEMES, rounds=400)
    realised = {g: y[groups == g].mean(axis=0) for g in range(len(true_shares))}
    inside = [row["low"] <= realised[row["group"]][THEMES.index(row["theme"])] <= row["high"] for row in table.rows]
    assert 0.90 <= np.mean(inside) <= 0.99


def test_small_groups_and_few_heldout_positives_get_wide_intervals():
    model = KnownErrorModel(tpr=[0.8, 0.8], fpr=[0.1, 0.1])
    units, groups, _ = units_with_shares({"small": [0.3, 0.3], "large": [0.3, 0.3]}, 10, np.random.default_rng(6))
    large, large_groups, _ = units_with_shares({"large": [0.3, 0.3]}, 2000, np.random.default_rng(7))
    units = units[:10] + large
    groups = groups[:10] + large_groups
    table = estimate_shares(units, groups, model=model)
    width = {g: table.cell(g, "a")["high"] - table.cell(g, "a")["low"] for g in ("small", "large")}
    assert width["small"] > 3 * width["large"] and width["small"] > 0.3
    y = np.random.default_rng(8).random((100, 1)) < 0.5
    few = ErrorRates.from_heldout(np.where(y, 0.9, 0.1), y, [0.5], ["a"])
    many = ErrorRates.from_heldout(np.repeat(np.where(y, 0.9, 0.1), 50, axis=0), np.repeat(y, 50, axis=0), [0.5], ["a"])
    p = np.where(np.arange(5000)[:, None] % 3 == 0, 0.9, 0.1)
    wide, narrow = (shares_from_scores(p, None, thresholds=[0.5], rates=r, themes=["a"]).rows[0] for r in (few, many))
    assert wide["high"] - wide["low"] > narrow["high"] - narrow["low"]


def test_a_group_without_predicted_units_still_gets_an_interval():
    rates = ErrorRates.from_heldout(np.array([[0.9], [0.1], [0.9], [0.1]] * 50), np.array([[1], [0], [1], [1]] * 50),
                                    [0.5], ["a"])
    for method in ("count", "adjusted"):
        row = shares_from_scores(np.full((12, 1), 0.1), None, method=method, thresholds=[0.5], rates=rates,
                                 themes=["a"]).rows[0]
        assert row["share"] == 0.0 and row["low"] == 0.0 and 0.05 < row["high"] < 0.5


def test_the_same_seed_gives_the_same_interval():
    p = np.random.default_rng(9).random((50, 2))
    first, second = (shares_from_scores(p, None, method="probability", themes=THEMES, seed=3) for _ in range(2))
    assert first.rows == second.rows


def test_bad_options_are_refused_with_a_message():
    p = np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match="method must be one of"):
        shares_from_scores(p, None, method="median", themes=THEMES)
    with pytest.raises(ValueError, match="confidence"):
        shares_from_scores(p, None, method="probability", themes=THEMES, confidence=95)
    with pytest.raises(ValueError, match="one key per unit"):
        shares_from_scores(p, ["a"], method="probability", themes=THEMES)
    with pytest.raises(ValueError, match="held-out error rates"):
        shares_from_scores(p, None, method="adjusted", thresholds=[0.5, 0.5], themes=THEMES)


def test_the_registry_of_methods_says_what_each_estimator_averages_and_needs():
    p = np.array([[0.2, 0.6], [0.9, 0.1]])
    assert METHODS == tuple(method.name for method in SHARE_METHODS) and len(set(METHODS)) == len(METHODS)
    for method in SHARE_METHODS:
        if method.adjusted:
            with pytest.raises(ValueError, match="held-out error rates"):
                shares_from_scores(p, None, method=method.name, thresholds=[0.5, 0.5], themes=THEMES)
            continue
        if method.crisp:
            with pytest.raises(ValueError, match="needs thresholds"):
                shares_from_scores(p, None, method=method.name, themes=THEMES)
        table = shares_from_scores(p, None, method=method.name, thresholds=[0.5, 0.5], themes=THEMES)
        expected = [0.5, 0.5] if method.crisp else [0.55, 0.35]  # share predicted on, or the mean probability
        assert [row["share"] for row in table.rows] == pytest.approx(expected)


# -- with a fitted model ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shares_model(seed_records):
    """A model fitted on the seed report with inner folds, so it keeps held-out predictions (about 1 s)."""
    from cppcc_nlp.model import ThemeClassifier

    return ThemeClassifier(threshold_folds=3).fit(seed_records, [r.labels for r in seed_records],
                                                  groups=[r.fold_group for r in seed_records])


def test_shares_of_records_by_section_with_a_fitted_model(shares_model, seed_records):
    sections = [r.section for r in seed_records]
    table = estimate_shares(seed_records, sections, model=shares_model)
    assert table.groups == list(dict.fromkeys(sections))
    assert len(table) == len(table.groups) * 5 and {row["method"] for row in table.rows} == {"adjusted"}
    for row in table.rows:
        assert 0.0 <= row["low"] <= row["share"] <= row["high"] <= 1.0
        assert row["n_units"] == sections.count(row["group"])
    assert set(table.rates.to_dict()) == set(shares_model.classes_)
    records = table.to_records()
    assert list(records[0]) == ["group", "theme", "share", "low", "high", "n_units", "method"]


def test_each_method_runs_on_texts(shares_model, seed_records):
    texts = [r.text for r in seed_records]
    for method in METHODS:
        table = estimate_shares(texts, method=method, model=shares_model)
        assert table.groups == ["all"] and table.rows[0]["n_units"] == len(texts)


def test_a_labelled_report_is_grouped_by_section_or_document(shares_model):
    from cppcc_nlp import label_report

    labelled = label_report("corpus/raw/hebei-2019-cppcc-highlights.txt", model=shares_model)
    by_section = estimate_shares(labelled, model=shares_model, method="count")
    assert "石家庄市" in by_section.groups
    counts = {p["section"]: p["sentences"] for p in labelled.profiles()}
    shares = {p["section"]: p["share_consultation"] for p in labelled.profiles()}
    for group in by_section.groups:
        row = by_section.cell(group, "consultation")
        assert row["n_units"] == counts[group] and row["share"] == pytest.approx(shares[group], abs=1e-4)
    by_document = estimate_shares(labelled, "document", model=shares_model)
    assert by_document.groups == [labelled.report.doc_id]


def test_a_model_without_heldout_predictions_is_refused_for_adjusted_shares(small_model):
    with pytest.raises(ModelError, match="no held-out predictions"):
        estimate_shares(["市政协开展专题协商。"], method="adjusted", model=small_model)
    assert estimate_shares(["市政协开展专题协商。"], method="count", model=small_model).rows


def test_share_table_writes_csv_and_json_lines(shares_model, seed_records, tmp_path):
    table = estimate_shares(seed_records[:30], [r.section for r in seed_records[:30]], model=shares_model)
    table.write(tmp_path / "shares.csv")
    with open(tmp_path / "shares.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(table) and float(rows[0]["share"]) == table.rows[0]["share"]
    table.write(tmp_path / "shares.jsonl")
    lines = (tmp_path / "shares.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == table.rows[0]
    assert "| group | units |" in table.format()


# -- pictures ----------------------------------------------------------------------------------------------------


def test_share_pictures_draw_groups_with_intervals(shares_model, seed_records, tmp_path):
    pytest.importorskip("matplotlib")
    from cppcc_nlp.plots import plot_shares, plot_shares_over_time

    table = estimate_shares(seed_records, [r.section for r in seed_records], model=shares_model, rounds=100)
    for kind in ("dots", "heatmap"):
        figure = plot_shares(table, kind=kind)
        figure.savefig(tmp_path / f"{kind}.png", dpi=50)
        assert (tmp_path / f"{kind}.png").stat().st_size > 5000
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert "石家庄市" in labels
    years = [2012 + i % 5 for i in range(len(seed_records))]
    over_time = plot_shares_over_time(estimate_shares(seed_records, years, model=shares_model, rounds=100))
    assert len(over_time.axes) == 5 and len(over_time.axes[0].collections) == 1  # one interval band per theme
    with pytest.raises(ValueError, match="not a year"):
        plot_shares_over_time(table)


# -- the command line ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shares_model_dir(shares_model, seed_records, tmp_path_factory):
    from cppcc_nlp.evaluation.card import save_model

    directory = tmp_path_factory.mktemp("shares-model") / "model"
    save_model(shares_model, directory, seed_records)
    return directory


def test_profile_shares_writes_the_table_and_a_picture(shares_model_dir, tmp_path, capsys):
    from cppcc_nlp.cli import main

    out, picture = tmp_path / "shares.csv", tmp_path / "shares.png"
    code = main(["profile", "corpus/raw/hebei-2019-cppcc-highlights.txt", "--shares", "adjusted", "--by", "section",
                 "--model", str(shares_model_dir), "-o", str(out), "--plot", str(picture)])
    assert code == 0
    printed = capsys.readouterr()
    assert "石家庄市" in printed.out and "method: adjusted" in printed.out
    with open(out, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["group", "theme", "share", "low", "high", "n_units", "method"]
    assert len(rows) == 14 * 5 and picture.stat().st_size > 5000


def test_profile_shares_by_a_jsonl_field_draws_shares_over_time(shares_model_dir, tmp_path, capsys):
    from cppcc_nlp.cli import main

    archive = tmp_path / "news.jsonl"
    items = [{"id": f"n{k}", "date": f"{2014 + k % 3}-0{1 + k % 9}-01", "text": text}
             for k, text in enumerate(["市政协开展专题协商。", "推进脱贫攻坚。", "加强委员履职管理。", "开展民主监督。"] * 3)]
    items.append({"id": "undated", "text": "成立功能型党支部。"})
    archive.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), encoding="utf-8")
    code = main(["profile", str(archive), "--id-field", "id", "--shares", "count", "--by", "date:4",
                 "--model", str(shares_model_dir), "-o", str(tmp_path / "years.jsonl"),
                 "--plot", str(tmp_path / "years.png")])
    assert code == 0
    assert "left out 1 document(s) without the field 'date'" in capsys.readouterr().err
    rows = [json.loads(line) for line in (tmp_path / "years.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted({row["group"] for row in rows}) == ["2014", "2015", "2016"]
    assert (tmp_path / "years.png").stat().st_size > 5000


def test_profile_share_options_are_checked(shares_model_dir, small_model, tmp_path, capsys):
    from cppcc_nlp.cli import main
    from cppcc_nlp.evaluation.card import save_model

    report = "corpus/raw/hebei-2019-cppcc-highlights.txt"
    assert main(["profile", report, "--by", "document"]) == 2
    assert "--by goes with --shares" in capsys.readouterr().err
    assert main(["profile", report, "--shares", "count", "--measure", "characters"]) == 2
    capsys.readouterr()
    save_model(small_model, tmp_path / "no-heldout", [])
    assert main(["profile", report, "--shares", "adjusted", "--model", str(tmp_path / "no-heldout")]) == 5
    assert "no held-out predictions" in capsys.readouterr().err


# -- a table in a notebook --------------------------------------------------------------------------------------


def test_a_share_table_behaves_like_a_table(shares_model, seed_records):
    pd = pytest.importorskip("pandas")
    sections = [r.section for r in seed_records]
    table = estimate_shares(seed_records, sections, model=shares_model, rounds=100)
    rows = list(table)
    assert len(rows) == len(table) == len(table.groups) * 5 and rows == table.to_records()
    assert table[0] == rows[0] and table[-1] == rows[-1] and table[1:3] == rows[1:3]
    table[0]["share"] = 2.0  # rows handed out are copies: the table does not change
    assert table[0]["share"] != 2.0
    frame = pd.DataFrame(table)
    assert list(frame.columns) == list(SHARE_FIELDS) and len(frame) == len(table)
    assert frame.equals(table.to_dataframe())
    text = repr(table)
    assert text.startswith("ShareTable(method='adjusted'") and "| group | units |" in text and "{" not in text
    html = table._repr_html_()
    assert html.startswith("<table>") and "石家庄市" in html and html.count("<tr>") == len(table.groups) + 1


def test_shares_of_the_librarys_own_records_as_the_readme_shows(shares_model):
    from cppcc_nlp import label_report

    labelled = label_report("corpus/raw/hebei-2019-cppcc-highlights.txt", model=shares_model)
    records = labelled.to_records()
    by_list = estimate_shares(records, [r["section"] for r in records], model=shares_model, rounds=100)
    by_field = estimate_shares(records, "section", model=shares_model, rounds=100)
    assert by_list.rows == by_field.rows and "石家庄市" in by_list.groups
    assert estimate_shares(records, "document", model=shares_model, rounds=100).groups == [labelled.report.doc_id]
    with pytest.raises(ValueError, match="record 0 has no 'year' field"):
        estimate_shares(records, "year", model=shares_model)
    with pytest.raises(ValueError, match="record 0 has no 'text' string"):
        estimate_shares([{"section": "x"}], model=shares_model, method="count")


def test_the_readme_share_snippet_runs_as_written():
    """The README's Python block under "Theme shares with intervals", executed in the clone with the shipped model."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Theme shares with intervals", 1)[1].split("\n## ", 1)[0]
    [code] = re.findall(r"```python\n(.*?)```", section, re.S)
    namespace: dict = {}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(code, "README.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    assert len(namespace["table"]) == 14 * 5
