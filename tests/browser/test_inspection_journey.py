"""A lead finds where the demo dataset's knowledge is thin and acts on it, in the browser:
overview → the lowest-coverage bin → the filtered item browser → the item's gaps → a gap added
as a fact suggestion, which the item's annotator then sees in the workspace."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from annotations.models import Annotation, AuditEvent, Dataset, FactSuggestion, Item, Membership
from annotations.selectors.gaps import item_gaps
from annotations.services.audit import Actor
from annotations.services.demo import demo_load
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_annotator_journeys import PASSWORD, fact, fact_ids, wait_saved

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings: Settings, tmp_path: Path) -> Dataset:
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_load(actor=Actor.system("tests"))
    return Dataset.objects.get(slug="demo")


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Demo").first.wait_for()


def shot(page: Any, top: Any, name: str) -> None:
    """A docs screenshot with ``top`` scrolled to the top of the 1280x800 viewport."""
    top.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(200)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


def wait_ready(page: Any) -> None:
    for _ in range(300):
        if page.evaluate("() => !!document.querySelector('[data-overview-ready=\"true\"]')"):
            return
        page.wait_for_timeout(50)
    raise AssertionError("the overview never finished rendering")


def test_a_lead_goes_from_the_overview_to_a_fact_suggestion(
    context: Any, live_server: Any, demo: Dataset
) -> None:
    lead = User.objects.create_user("lena", password=PASSWORD)
    Membership.objects.create(dataset=demo, user=lead, role=Membership.Role.LEAD)
    # The lowest coverage of the demo's current captions, and the items in its bin.
    lowest = min(Item.objects.filter(dataset=demo).values_list("coverage", flat=True))
    index = math.floor(lowest * 10 + 1e-9)
    in_bin = list(
        Item.objects.filter(
            dataset=demo, coverage__gte=index / 10, coverage__lt=(index + 1) / 10
        ).order_by("pk")
    )
    target = in_bin[0]
    gap = item_gaps(target)["unsupported_vqa"][0]
    violations: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)

    sign_in(page, live_server.url, "lena")
    page.goto(f"{live_server.url}/datasets/{demo.pk}/overview")
    wait_ready(page)
    # The lowest non-empty bin holds exactly these items.
    link = page.locator(f'[data-bin="current-coverage-{index}"]')
    shot(page, page.locator("section.inspect-metric").nth(2), "inspect-overview.png")
    name = link.get_attribute("aria-label") or link.inner_text()
    assert re.search(rf"\b{len(in_bin)} items?\b", name), name
    link.click()

    page.wait_for_url(re.compile(r"/datasets/\d+/items\?"))
    query = parse_qs(urlparse(page.url).query)
    assert [float(v) for v in query["coverage_min"] + query["coverage_below"]] == [
        index / 10,
        (index + 1) / 10,
    ]
    for item in in_bin:
        page.get_by_role("link", name=item.external_id, exact=True).first.wait_for()
    shot(page, page.get_by_test_id("matching-count"), "inspect-items.png")
    # Annotate it next: the queue serves open items highest priority first.
    page.get_by_role("checkbox", name=f"Select {target.external_id}").check()
    page.get_by_role("button", name="Prioritise for annotation").click()
    page.get_by_role("status").filter(has_text="Priority 100 set").wait_for()
    assert dict(
        Item.objects.filter(dataset=demo).exclude(priority=0).values_list("pk", "priority")
    ) == {target.pk: 100}
    page.get_by_role("link", name=target.external_id, exact=True).first.click()

    page.wait_for_url(re.compile(rf"/items/{target.pk}/gaps"))
    page.get_by_text(gap["question"]).first.wait_for()
    shot(
        page,
        page.get_by_role("region", name=re.compile("^VQA pairs the caption does not support")),
        "inspect-gaps.png",
    )
    page.get_by_role("button", name=re.compile(r"^Add as fact suggestion")).first.click()
    page.get_by_role("status").filter(has_text="Suggested").first.wait_for()

    suggestion = FactSuggestion.objects.get(item=target)
    assert (
        suggestion.kind,
        suggestion.subject,
        suggestion.predicate,
        suggestion.value,
        suggestion.gap,
        suggestion.vqa_pair_id,
        suggestion.created_by_id,
    ) == (
        gap["suggestion"]["kind"],
        gap["suggestion"]["subject"],
        gap["suggestion"]["predicate"],
        gap["suggestion"]["value"],
        "unsupported_vqa",
        gap["id"],
        lead.pk,
    )
    assert AuditEvent.objects.filter(action="suggestion.create").count() == 1

    assert violations == []

    # The item's annotator gets it first, with the suggestion beside its facts, and adds it.
    annotator = User.objects.create_user("ada", password=PASSWORD)
    Membership.objects.create(dataset=demo, user=annotator, role=Membership.Role.ANNOTATOR)
    context.clear_cookies()
    work = context.new_page()
    sign_in(work, live_server.url, "ada")
    work.get_by_role("link", name="Annotate").first.click()
    before = fact_ids(work)
    triple = " ".join(gap["suggestion"][part] for part in ("subject", "predicate", "value"))
    suggested = work.get_by_role("region", name="Suggested facts (1)")
    suggested.get_by_role("button", name=f"Add suggested fact: {triple}").click()
    wait_saved(work)
    annotation = Annotation.objects.get(annotator=annotator)
    assert annotation.item_id == target.pk
    assert [
        (f["kind"], f["subject"], f["predicate"], f["value"]) for f in annotation.added_facts
    ] == [tuple(gap["suggestion"][part] for part in ("kind", "subject", "predicate", "value"))]
    assert fact_ids(work)[: len(before)] == before

    # Submitted with every fact accepted, the item gained the suggested fact: compare shows it.
    for fact_id in before:
        fact(work, fact_id).get_by_role("button", name="Accept").click()
    work.get_by_role("button", name="Submit").click()
    work.get_by_text(re.compile("Submitted")).first.wait_for()
    assert Item.objects.get(pk=target.pk).status == Item.Status.DONE
    context.clear_cookies()
    lead_page = context.new_page()
    sign_in(lead_page, live_server.url, "lena")
    lead_page.goto(f"{live_server.url}/datasets/{demo.pk}/compare?a=import&b=current")
    lead_page.get_by_role("link", name=target.external_id).first.wait_for()
    shot(lead_page, lead_page.locator("h1"), "inspect-compare.png")
    row = lead_page.get_by_role("row").filter(has_text=target.external_id).first
    assert re.search(r"Gained", row.inner_text()), row.inner_text()
