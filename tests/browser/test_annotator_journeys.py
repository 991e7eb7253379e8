"""What an annotator does in the browser, end to end, checked in the database afterwards."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from annotations.models import (
    Annotation,
    AuditEvent,
    Caption,
    Dataset,
    Fact,
    Item,
    Membership,
)
from annotations.services.audit import Actor
from annotations.services.demo import demo_load
from tests.browser.conftest import SCREENSHOTS

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long enough passphrase"


@pytest.fixture
def demo(settings: Settings, tmp_path: Path) -> Dataset:
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_load(actor=Actor.system("tests"))
    return Dataset.objects.get(slug="demo")


@pytest.fixture
def annotator(demo: Dataset) -> User:
    user = User.objects.create_user("ada", password=PASSWORD)
    Membership.objects.create(dataset=demo, user=user, role=Membership.Role.ANNOTATOR)
    return user


def log_in(page: Any, base: str, *, keyboard: bool = False) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    if keyboard:
        page.get_by_label("Password").press("Enter")
    else:
        page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Demo").first.wait_for()


def fact_ids(page: Any) -> list[int]:
    page.locator("li[data-fact-id]").first.wait_for()
    return [int(i) for i in page.locator("li[data-fact-id]").evaluate_all(
        "nodes => nodes.map(n => n.dataset.factId)"
    )]  # fmt: skip


def fact(page: Any, fact_id: int) -> Any:
    return page.locator(f'li[data-fact-id="{fact_id}"]')


def wait_saved(page: Any) -> None:
    status = page.get_by_test_id("save-status")
    status.filter(has_text=re.compile(r"^Saved$")).wait_for()


def screenshot(page: Any, name: str) -> None:
    """The page at 1280x800 from its top, once its images have loaded (docs/annotating.md)."""
    page.evaluate("window.scrollTo(0, 0)")
    # Polled from here: wait_for_function compiles its predicate with eval, which the app's
    # Content-Security-Policy refuses.
    for _ in range(100):
        if page.evaluate("() => [...document.images].every(image => image.complete)"):
            break
        page.wait_for_timeout(100)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


def test_a_new_annotator_annotates_an_item_end_to_end(
    context: Any, live_server: Any, annotator: User, demo: Dataset
) -> None:
    page = context.new_page()
    log_in(page, live_server.url)
    page.get_by_role("link", name="Annotate").first.click()
    ids = fact_ids(page)
    annotation = Annotation.objects.get(annotator=annotator)
    item = annotation.item
    base = {f.pk: f for f in Fact.objects.filter(caption_id=annotation.base_caption_id)}
    assert sorted(ids) == sorted(base)
    first, second, edited, rejected, *rest = ids

    fact(page, first).get_by_role("button", name="Accept").click()
    fact(page, second).get_by_role("button", name="Accept").click()
    fact(page, edited).get_by_role("button", name="Edit").click()
    value = fact(page, edited).get_by_label("New value")
    value.fill("a corrected value")
    value.press("Enter")
    fact(page, rejected).get_by_role("button", name="Reject").click()
    reason = fact(page, rejected).get_by_label("Reason")
    reason.fill("not visible in the image")
    reason.press("Enter")

    # Add a fact from a selection of the caption text.
    caption = page.get_by_label("Caption text")
    original = caption.input_value()
    start = original.index(" ") + 1
    end = original.index(" ", start)
    caption.evaluate(f"el => {{ el.focus(); el.setSelectionRange({start}, {end}); }}")
    page.get_by_role("button", name="Add fact").click()
    page.get_by_label("Kind").select_option("object")
    page.get_by_label("Subject").fill("portrait")
    page.get_by_label("Predicate").fill("shows")
    page.get_by_label("Value").fill(original[start:end])
    page.get_by_role("button", name="Add", exact=True).click()
    wait_saved(page)

    # Reload midway: the draft comes back as it was.
    page.reload()
    fact_ids(page)
    assert fact(page, first).get_attribute("data-verdict") == "accepted"
    assert fact(page, edited).get_attribute("data-verdict") == "edited"
    assert fact(page, rejected).get_attribute("data-verdict") == "rejected"
    assert page.get_by_text("portrait").first.is_visible()

    for remaining in rest:
        fact(page, remaining).get_by_role("button", name="Accept").click()
    new_text = original + " Taken in a studio."
    page.get_by_label("Caption text").fill(new_text)
    wait_saved(page)
    screenshot(page, "workspace.png")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text(re.compile("Submitted")).first.wait_for()

    annotation.refresh_from_db()
    assert annotation.status == "submitted"
    result = Caption.objects.get(pk=annotation.result_caption_id)
    assert (result.text, result.origin, result.author_id) == (new_text, "annotator", annotator.pk)
    stored = list(result.facts.order_by("position").values_list("subject", "value", "source"))
    kept = [base[first], base[second], base[edited], *(base[i] for i in rest)]
    expected = sorted(
        [(f.subject, f.value, f.source) for f in kept if f.pk != edited]
        + [(base[edited].subject, "a corrected value", "human")]
        + [("portrait", original[start:end], "human")]
    )
    assert sorted(stored) == expected
    added = result.facts.get(subject="portrait")
    assert (added.span_start, added.span_end) == (start, end)
    assert annotation.decisions[str(rejected)] == {
        "verdict": "rejected", "value": None, "reason": "not visible in the image",
    }  # fmt: skip
    assert annotation.decisions[str(edited)]["value"] == "a corrected value"
    assert AuditEvent.objects.filter(action="annotation.submit").count() == 1
    item.refresh_from_db()
    assert (item.status, item.current_caption_id) == ("done", result.pk)

    page.goto(f"{live_server.url}/items/{item.pk}/history")
    page.get_by_text(new_text).first.wait_for()
    screenshot(page, "history.png")


def test_markup_in_a_caption_is_shown_as_text(
    context: Any, live_server: Any, annotator: User, demo: Dataset
) -> None:
    hostile = "A cat <img src=x onerror=alert(1)> and <script>alert(2)</script> on a mat."
    first = Item.objects.filter(dataset=demo).order_by("pk").first()
    assert first is not None
    caption = Caption.objects.create(item=first, text=hostile, origin=Caption.Origin.IMPORT)
    Fact.objects.create(
        caption=caption, kind="object", subject="cat", predicate="present", value="yes",
        source="import", span_start=2, span_end=5,
    )  # fmt: skip
    Item.objects.filter(pk=first.pk).update(current_caption=caption)

    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    log_in(page, live_server.url)
    page.get_by_role("link", name="Annotate").first.click()
    fact_ids(page)
    assert page.get_by_label("Caption text").input_value() == hostile
    page.get_by_text("<script>alert(2)</script>", exact=False).first.wait_for()
    page.wait_for_timeout(500)
    assert dialogs == []
    assert page.evaluate("window.__csp") == []
    assert page.locator("img[src='x']").count() == 0


def test_two_tabs_on_one_draft_get_a_conflict_and_lose_nothing(
    context: Any, live_server: Any, annotator: User, demo: Dataset
) -> None:
    first = context.new_page()
    log_in(first, live_server.url)
    first.get_by_role("link", name="Annotate").first.click()
    fact_ids(first)
    second = context.new_page()
    second.goto(first.url)
    fact_ids(second)

    original = first.get_by_label("Caption text").input_value()
    first.get_by_label("Caption text").fill(original + " Edited in tab one.")
    wait_saved(first)
    second.get_by_label("Caption text").fill(original + " Edited in tab two.")
    second.get_by_role("heading", name="This draft was changed elsewhere").wait_for()
    # Both versions are on screen before the annotator chooses: the other tab's words as
    # removed, this tab's as added.
    conflict = second.get_by_test_id("conflict")
    assert "one." in " ".join(conflict.locator("del").all_inner_texts())
    assert "two." in " ".join(conflict.locator("ins").all_inner_texts())
    assert second.get_by_label("Caption text").input_value() == original + " Edited in tab two."
    annotation = Annotation.objects.get(annotator=annotator)
    assert annotation.draft_text == original + " Edited in tab one."

    second.get_by_role("button", name="Keep mine").click()
    wait_saved(second)
    annotation.refresh_from_db()
    assert annotation.draft_text == original + " Edited in tab two."


def test_the_whole_flow_works_without_the_mouse(
    context: Any, live_server: Any, annotator: User, demo: Dataset
) -> None:
    page = context.new_page()
    log_in(page, live_server.url, keyboard=True)
    # From the datasets page to the workspace by keyboard: Tab to the Annotate link.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.textContent?.trim()") == "Annotate":
            break
    page.keyboard.press("Enter")
    ids = fact_ids(page)
    page.locator("body").press("j")  # select the first fact
    for _ in ids:
        page.keyboard.press("a")
        page.keyboard.press("j")
    page.keyboard.press("c")
    page.keyboard.press("Control+End")
    page.keyboard.type(" Typed without a mouse.")
    page.keyboard.press("Escape")
    wait_saved(page)
    page.keyboard.press("Control+Enter")
    page.get_by_text(re.compile("Submitted")).first.wait_for()

    annotation = Annotation.objects.get(annotator=annotator, status="submitted")
    assert annotation.result_caption is not None
    assert annotation.result_caption.text.endswith(" Typed without a mouse.")
    assert {d["verdict"] for d in annotation.decisions.values()} == {"accepted"}
    assert len(annotation.decisions) == len(ids)
