from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client

from annotations.models import AuditEvent, Caption, Dataset, Fact
from tests.annotations.factories import FactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "", "pw"))
    return client


def test_every_domain_model_is_in_the_admin() -> None:
    domain = set(apps.get_app_config("annotations").get_models())
    assert domain - set(admin.site._registry) == set()


@pytest.mark.parametrize("model", list(apps.get_app_config("annotations").get_models()))
def test_every_changelist_opens(admin_client: Client, model: type) -> None:
    FactFactory()
    url = f"/admin/annotations/{model._meta.model_name}/"
    response = admin_client.get(url)
    assert response.status_code == 200, url


@pytest.mark.parametrize("model", [Caption, Fact, AuditEvent])
def test_immutable_records_are_read_only(admin_client: Client, model: type) -> None:
    fact = FactFactory()
    objects = {Caption: fact.caption, Fact: fact}
    name = model._meta.model_name
    assert admin_client.get(f"/admin/annotations/{name}/add/").status_code == 403
    if model in objects:
        target = objects[model]
        page = admin_client.get(f"/admin/annotations/{name}/{target.pk}/change/")
        assert page.status_code == 200
        assert b'name="_save"' not in page.content
        posted = admin_client.post(
            f"/admin/annotations/{name}/{target.pk}/delete/", {"post": "yes"}
        )
        assert posted.status_code == 403
        assert model.objects.filter(pk=target.pk).exists()


def test_deleting_a_dataset_in_the_admin_goes_through_the_audited_service(
    admin_client: Client,
) -> None:
    fact = FactFactory()
    dataset = fact.caption.item.dataset
    response = admin_client.post(
        f"/admin/annotations/dataset/{dataset.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Dataset.objects.filter(pk=dataset.pk).exists()
    assert Caption.objects.count() == 0
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_label, event.dataset_id) == (
        "dataset.delete",
        "root",
        dataset.pk,
    )
