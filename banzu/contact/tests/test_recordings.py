"""Recording references and their retention (CT-17): never deleted, purged by an idempotent sweep that
records when and by which policy value."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib import admin
from django.db.models import ProtectedError
from django.test import RequestFactory

from banzu.contact import recordings, rules, tasks
from banzu.contact.models import Contact, Recording
from banzu.contact.tests.conftest import at
from banzu.core.services import set_policy


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2025, 1, 31), 1, datetime(2025, 2, 28)),
        (datetime(2024, 1, 31), 1, datetime(2024, 2, 29)),
        (datetime(2025, 3, 14), 12, datetime(2026, 3, 14)),
        (datetime(2025, 11, 30), 3, datetime(2026, 2, 28)),
        (datetime(2025, 12, 1), 1, datetime(2026, 1, 1)),
        (datetime(2025, 5, 31), 0, datetime(2025, 5, 31)),
        (datetime(2025, 5, 15), 25, datetime(2027, 6, 15)),
    ],
)
def test_months_are_added_on_the_calendar(start, months, expected):
    assert rules.add_months(start, months) == expected


@pytest.mark.parametrize(
    ("now", "months", "expired"),
    [
        (datetime(2025, 4, 14), 0, False),  # 0 keeps them indefinitely
        (datetime(2099, 1, 1), 0, False),
        (datetime(2025, 4, 13, 23, 59), 1, False),
        (datetime(2025, 4, 14), 1, True),
        (datetime(2026, 3, 13), 12, False),
        (datetime(2026, 3, 14), 12, True),
    ],
)
def test_retention_expires_on_the_same_day_months_later(now, months, expired):
    assert rules.retention_expired(datetime(2025, 3, 14), now, months) is expired


def _ended_call(floor, ref="nas://rec/1.wav"):
    contact = floor.call(seconds=0)
    Contact.objects.filter(pk=contact.pk).update(status=Contact.Status.ABANDONED, ended_at=at(30))
    return recordings.attach_recording(contact_id=contact.pk, kind="recording", ref=ref, now=at(30))


def _retention(org, months):
    set_policy(
        user=org.people["admin"].user,
        centre=org.centre,
        key="contact.recording_retention_months",
        value=months,
        reason="档案管理规定",
    )


@pytest.mark.django_db
def test_attaching_the_same_reference_twice_keeps_one_row(floor):
    first = _ended_call(floor)
    again = recordings.attach_recording(
        contact_id=first.contact_id, kind="recording", ref=" nas://rec/1.wav ", now=at(40)
    )
    assert again.pk == first.pk and Recording.objects.count() == 1


@pytest.mark.django_db
def test_a_reference_needs_a_kind_and_a_location(floor):
    contact = floor.call(seconds=0)
    with pytest.raises(Exception) as error:
        recordings.attach_recording(contact_id=contact.pk, kind="video", ref="x", now=at(1))
    assert "kind" in error.value.message_dict
    with pytest.raises(Exception) as error:
        recordings.attach_recording(contact_id=contact.pk, kind="recording", ref="  ", now=at(1))
    assert "ref" in error.value.message_dict
    assert not Recording.objects.exists()


@pytest.mark.django_db
def test_nothing_is_purged_while_retention_is_zero(floor):
    _ended_call(floor)
    assert recordings.purge_expired_recordings(centre=floor.centre, now=datetime(2099, 1, 1, tzinfo=UTC)) == 0
    assert Recording.objects.get().purged_at is None


@pytest.mark.django_db
def test_the_sweep_marks_expired_references_once_with_when_and_the_policy_value(floor, org):
    recording = _ended_call(floor)
    young = _ended_call(floor, ref="nas://rec/2.wav")
    Recording.objects.filter(pk=young.pk).update(recorded_at=at(86400 * 20))
    _retention(org, 6)
    before = at(86400 * 180)  # 2025-09-10: not six months yet
    assert recordings.purge_expired_recordings(centre=floor.centre, now=before) == 0
    moment = datetime(2025, 9, 14, 3, 0, tzinfo=UTC)
    assert recordings.purge_expired_recordings(centre=floor.centre, now=moment) == 1
    recording.refresh_from_db()
    assert (recording.purged_at, recording.purged_retention_months) == (moment, 6)
    assert recording.ref == "nas://rec/1.wav"  # the reference itself stays on record
    assert recording.history.first().history_change_reason
    # Idempotent: a second run, later and with another policy value, changes nothing.
    _retention(org, 3)
    later = datetime(2025, 9, 15, tzinfo=UTC)
    assert recordings.purge_expired_recordings(centre=floor.centre, now=later) == 1  # only the young one now
    recording.refresh_from_db()
    assert (recording.purged_at, recording.purged_retention_months) == (moment, 6)
    assert recordings.purge_expired_recordings(centre=floor.centre, now=later) == 0


@pytest.mark.django_db
def test_references_the_switch_wrote_on_the_contact_are_covered_too(floor, org):
    contact = floor.call(seconds=0)
    Contact.objects.filter(pk=contact.pk).update(
        status=Contact.Status.ABANDONED, ended_at=at(30), recording_ref="nas://rec/9.wav", transcript_ref="t/9.json"
    )
    _retention(org, 1)
    assert recordings.purge_expired_recordings(centre=floor.centre, now=datetime(2025, 6, 1, tzinfo=UTC)) == 2
    assert sorted(Recording.objects.values_list("kind", "ref")) == [
        ("recording", "nas://rec/9.wav"),
        ("transcript", "t/9.json"),
    ]
    assert recordings.register_contact_references(centre=floor.centre) == 0


@pytest.mark.django_db
def test_the_periodic_task_purges_across_centres(floor, org):
    _ended_call(floor)
    _retention(org, 1)
    # call_local runs the task body with the real clock: 2025-03 recordings are long past one month.
    assert tasks.purge_expired_recordings.call_local() == 1
    assert tasks.purge_expired_recordings.call_local() == 0


@pytest.mark.django_db
def test_a_contact_with_a_recording_cannot_be_deleted(floor):
    recording = _ended_call(floor)
    with pytest.raises(ProtectedError):
        Contact.objects.filter(pk=recording.contact_id).delete()


@pytest.mark.django_db
def test_the_admin_grants_no_delete_or_change_of_recordings(org):
    model_admin = admin.site._registry[Recording]
    request = RequestFactory().get("/admin/")
    request.user = org.people["admin"].user
    request.user.is_superuser = True
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_add_permission(request)
