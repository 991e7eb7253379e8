from __future__ import annotations

from annotations.models import AuditEvent, Membership
from tests.annotations.api.conftest import World
from tests.annotations.factories import UserFactory


def roles(world: World) -> dict[str, str]:
    return dict(Membership.objects.filter(dataset=world.a).values_list("user__username", "role"))


def test_leads_add_annotators_and_list_members(world: World) -> None:
    UserFactory(username="newcomer")
    lead = world.client(world.lead)
    url = f"/api/v1/datasets/{world.a.pk}/memberships/"
    added = lead.post(
        url, {"username": "newcomer", "role": "annotator"}, content_type="application/json"
    )
    assert added.status_code == 200
    assert (added.json()["username"], added.json()["role"]) == ("newcomer", "annotator")
    listed = [(m["username"], m["role"]) for m in lead.get(url).json()]
    assert listed == [
        ("ann", "annotator"),
        ("ann2", "annotator"),
        ("lead", "lead"),
        ("newcomer", "annotator"),
    ]
    event = AuditEvent.objects.get(action="membership.change")
    assert (event.before, event.after) == (None, {"user": "newcomer", "role": "annotator"})


def test_nobody_raises_a_role_they_may_not_grant(world: World) -> None:
    url = f"/api/v1/datasets/{world.a.pk}/memberships/"
    before = roles(world)
    own = world.client(world.lead).post(
        url, {"username": "lead", "role": "annotator"}, content_type="application/json"
    )
    assert (own.status_code, own.json()["message"]) == (
        403,
        "Nobody can change their own membership.",
    )
    promote = world.client(world.lead).post(
        url, {"username": "ann", "role": "lead"}, content_type="application/json"
    )
    assert promote.status_code == 403
    self_promote = world.client(world.annotator).post(
        url, {"username": "ann", "role": "lead"}, content_type="application/json"
    )
    assert self_promote.status_code == 403
    assert world.client(world.annotator).get(url).status_code == 403
    assert world.client(world.outsider).get(url).status_code == 404
    assert roles(world) == before
    assert not AuditEvent.objects.filter(action="membership.change").exists()

    promoted = world.client(world.admin).post(
        url, {"username": "ann", "role": "lead"}, content_type="application/json"
    )
    assert (promoted.status_code, roles(world)["ann"]) == (200, "lead")


def test_removing_members(world: World) -> None:
    membership = Membership.objects.get(dataset=world.a, user=world.other_annotator)
    url = f"/api/v1/memberships/{membership.pk}/"
    assert world.client(world.outsider).delete(url).status_code == 404
    assert world.client(world.annotator).delete(url).status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert world.client(world.lead).delete(url).status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    lead_membership = Membership.objects.get(dataset=world.a, user=world.lead)
    assert (
        world.client(world.lead).delete(f"/api/v1/memberships/{lead_membership.pk}/").status_code
        == 403
    )


def test_the_audit_trail_pages_newest_first_for_leads(world: World) -> None:
    client = world.client(world.lead)
    for name in ("x1", "x2", "x3"):
        UserFactory(username=name)
        client.post(
            f"/api/v1/datasets/{world.a.pk}/memberships/",
            {"username": name, "role": "annotator"},
            content_type="application/json",
        )
    url = f"/api/v1/datasets/{world.a.pk}/audit-events/"
    first = client.get(url, {"limit": 2}).json()
    assert [e["after"]["user"] for e in first["results"]] == ["x3", "x2"]
    second = client.get(url, {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [e["after"]["user"] for e in second["results"]] == ["x1"]
    assert second["next_cursor"] is None
    assert world.client(world.annotator).get(url).status_code == 403
    assert world.client(world.outsider).get(url).status_code == 404
    assert client.get(url, {"since": "yesterday"}).status_code == 400


def test_an_items_audit_trail_shows_its_annotations(world: World) -> None:
    annotator = world.client(world.annotator)
    leased = annotator.post(f"/api/v1/datasets/{world.a.pk}/queue/next/").json()
    annotator.post(
        f"/api/v1/annotations/{leased['id']}/skip/",
        {"reason": "Blurred."},
        content_type="application/json",
    )
    url = f"/api/v1/items/{leased['item_id']}/audit-events/"
    events = world.client(world.lead).get(url).json()["results"]
    assert [(e["action"], e["actor_label"]) for e in events] == [
        ("annotation.skip", "ann"),
        ("annotation.assign", "ann"),
    ]
    assert world.client(world.annotator).get(url).status_code == 403
    assert world.client(world.outsider).get(url).status_code == 404
    other_item = world.items[1].pk
    assert world.client(world.lead).get(f"/api/v1/items/{other_item}/audit-events/").json() == {
        "results": [],
        "next_cursor": None,
    }


def test_the_audit_trail_limit_must_be_plain_digits(world: World) -> None:
    url = f"/api/v1/datasets/{world.a.pk}/audit-events/"
    client = world.client(world.lead)
    for limit in ("1_0", " 5 ", "\u0665", "0", "201"):
        assert client.get(url, {"limit": limit}).status_code == 400, limit
    assert client.get(url, {"limit": "5"}).status_code == 200
