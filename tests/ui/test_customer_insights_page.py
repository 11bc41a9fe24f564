"""The customer insights page: satisfaction, segments, the at-risk list and the customer 360 view,
and empty states that say which command to run."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import linked_warehouse

PAGE = str(Path(__file__).parents[2] / "pages" / "5_Customer_Insights.py")


def _page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> str:
    return "\n".join(element.value for element in elements)


def test_without_a_warehouse_the_page_says_how_to_load_data(data_dir):
    at = _page()
    assert "repairlens demo" in at.info[0].value
    assert not at.tabs


def test_untrained_models_name_the_commands_that_train_them(built_data_dir, use_data_dir, tmp_path):
    copy = linked_warehouse(built_data_dir, tmp_path / "var")
    use_data_dir(copy)
    at = _page()
    infos = _texts(at.info)
    assert "repairlens train churn" in infos
    assert "repairlens train clv" in infos
    # what needs no trained model is shown anyway
    assert any("Logistic regression" in caption.value for caption in at.caption)
    assert [tab.label for tab in at.tabs] == [
        "Satisfaction",
        "Segments & cohorts",
        "At risk",
        "Customer 360",
    ]


def test_with_trained_models_the_page_lists_customers_at_risk_and_one_customers_picture(
    trained_customers_dir, use_data_dir
):
    use_data_dir(trained_customers_dir)
    at = _page()
    assert not at.info
    assert "ROC-AUC" in _texts(at.caption)
    labels = {metric.label for metric in at.metric}
    assert {"Churn risk", "Expected value, next 12 months", "P(still a customer)"} <= labels
    at_risk = next(
        frame.value for frame in at.dataframe if "value_at_risk_eur" in frame.value.columns
    )
    assert len(at_risk) > 10
    values = at_risk["value_at_risk_eur"].tolist()
    assert values == sorted(values, reverse=True)


def test_choosing_another_customer_shows_their_history(trained_customers_dir, use_data_dir):
    use_data_dir(trained_customers_dir)
    at = _page()
    box = at.selectbox(key="ci_customer")
    other = box.options[5]
    box.set_value(int(other)).run()
    assert not at.exception
    assert any("repair_type" in frame.value.columns for frame in at.dataframe)
