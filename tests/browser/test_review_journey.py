"""Two annotators disagree on a fact in the browser and a lead resolves it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from annotations.models import Annotation, AuditEvent, Dataset, Fact, Membership, Review
from annotations.services.audit import Actor
from annotations.services.demo import demo_load
from tests.browser.test_annotator_journeys import PASSWORD, fact, fact_ids, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team(settings: Settings, tmp_path: Path) -> Dataset:
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_load(actor=Actor.system("tests"), annotators_per_item=2)
    dataset = Dataset.objects.get(slug="demo")
    # One rejected fact out of eight is a small disagreement; this team reviews any.
    dataset.disagreement_threshold = 0.05
    dataset.save(update_fields=["disagreement_threshold"])
    for name, role in (("ann1", "annotator"), ("ann2", "annotator"), ("lead", "lead")):
        user = User.objects.create_user(name, password=PASSWORD)
        Membership.objects.create(dataset=dataset, user=user, role=role)
    return dataset


def sign_in(context: Any, base: str, username: str) -> Any:
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Demo").first.wait_for()
    return page


def annotate_first_item(page: Any, *, reject_first: bool) -> list[int]:
    page.get_by_role("link", name="Annotate").first.click()
    ids = fact_ids(page)
    for number, fact_id in enumerate(ids):
        row = fact(page, fact_id)
        if number == 0 and reject_first:
            row.get_by_role("button", name="Reject").click()
            reason = row.get_by_label("Reason")
            reason.fill("not what the photo shows")
            reason.press("Enter")
        else:
            row.get_by_role("button", name="Accept").click()
    page.get_by_role("button", name="Submit").click()
    page.get_by_text(re.compile("Submitted")).first.wait_for()
    return ids


def test_two_annotators_disagree_and_a_lead_resolves_it(
    browser: Any, live_server: Any, team: Dataset
) -> None:
    contexts = [browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(3)]
    try:
        first = sign_in(contexts[0], live_server.url, "ann1")
        ids = annotate_first_item(first, reject_first=False)
        second = sign_in(contexts[1], live_server.url, "ann2")
        assert annotate_first_item(second, reject_first=True) == ids

        review = Review.objects.get()
        disputed = Fact.objects.get(pk=ids[0])
        assert (review.status, review.item.status) == ("open", "in_review")

        lead = sign_in(contexts[2], live_server.url, "lead")
        lead.goto(f"{live_server.url}/datasets/{team.pk}/reviews")
        lead.get_by_role("link", name=review.item.external_id).wait_for()
        screenshot(lead, "review-queue.png")
        lead.get_by_role("button", name="Review next").click()
        lead.get_by_role("table", name="Verdicts").wait_for()
        group = lead.get_by_role(
            "radiogroup",
            name=f"Verdict for {disputed.subject} {disputed.predicate} {disputed.value}",
        )
        group.get_by_role("radio", name="Edit").check()
        lead.get_by_label(f"Value for {disputed.subject} {disputed.predicate}").fill(
            "Eileen M. Collins"
        )
        lead.get_by_role("button", name="Use ann2's text").click()
        lead.get_by_label("Notes").fill("The person is named; the full name is clearer.")
        screenshot(lead, "review.png")
        lead.get_by_role("button", name="Resolve").click()
        lead.get_by_text("Resolved. The item is final.").wait_for()

        lead.goto(f"{live_server.url}/datasets/{team.pk}/team")
        lead.get_by_role("heading", name=re.compile("Team agreement")).wait_for()
        screenshot(lead, "team.png")
    finally:
        for context in contexts:
            context.close()

    review.refresh_from_db()
    item = review.item
    item.refresh_from_db()
    final = review.resolving_caption
    assert final is not None
    assert (review.status, review.resolved_by.username) == ("resolved", "lead")  # type: ignore[union-attr]
    assert review.notes == "The person is named; the full name is clearer."
    assert (item.status, item.current_caption_id) == ("done", final.pk)
    ann2 = Annotation.objects.get(annotator__username="ann2", status="submitted")
    assert ann2.result_caption is not None
    assert (final.origin, final.author.username, final.text) == (  # type: ignore[union-attr]
        "adjudication", "lead", ann2.result_caption.text,
    )  # fmt: skip
    base = {f.pk: f for f in Fact.objects.filter(pk__in=ids)}
    expected = [(disputed.subject, "Eileen M. Collins", "human")] + [
        (base[i].subject, base[i].value, base[i].source) for i in ids[1:]
    ]
    stored = list(final.facts.order_by("position").values_list("subject", "value", "source"))
    assert sorted(stored) == sorted(expected)
    actions = list(
        AuditEvent.objects.filter(action__startswith="review.").values_list("action", flat=True)
    )
    assert actions == ["review.open", "review.claim", "review.resolve"]
    assert AuditEvent.objects.filter(action="annotation.submit").count() == 2
