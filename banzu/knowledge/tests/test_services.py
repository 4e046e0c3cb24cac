"""Services of the knowledge base: versions, status, validity, permissions, history, quick phrases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.utils import timezone

from banzu.core.errors import Conflict, NotAllowed, OutOfScope
from banzu.knowledge import selectors, services, standard_scripts
from banzu.knowledge.models import Article, ArticleVersion, Category, QuickPhrase
from banzu.knowledge.tests.factories import article, category

pytestmark = pytest.mark.django_db
TODAY = date(2025, 6, 1)


def user(org, persona):
    return org.people[persona].user


def revise(org, item, persona="trainer", **changes):
    current = item.current_version
    values = {
        "title": current.title,
        "body": current.body,
        "change_note": "更新",
        "category": item.category,
        "tags": item.tags,
        "valid_from": item.valid_from,
        "valid_until": item.valid_until,
    }
    values.update(changes)
    return services.revise_article(user=user(org, persona), article=item, **values)


def test_a_new_article_is_a_draft_with_version_one_owned_by_its_author(org):
    item = article(org, publish=False, tags=["发票", "开票"])
    assert item.status == Article.Status.DRAFT
    assert item.owner == org.people["trainer"]
    assert item.centre == org.centre and item.department is None
    (version,) = item.versions.all()
    assert (version.number, version.title, version.changed_by) == (1, item.title, user(org, "trainer"))
    assert item.current_version == version
    assert item.search_text.head_terms.startswith("增值 值税")
    assert item.history.first().history_user == user(org, "trainer")


def test_a_revision_adds_version_n_plus_one_and_keeps_the_old_one_word_for_word(org):
    item = article(org, body="旧的说明")
    first = item.current_version
    revise(org, item, body="新的说明", change_note="政策调整")
    revise(org, item, title="新标题", change_note="改标题")
    item.refresh_from_db()
    assert [v.number for v in item.versions.order_by("number")] == [1, 2, 3]
    assert item.current_version.number == 3 and item.title == "新标题"
    first.refresh_from_db()
    assert first.body == "旧的说明" and first.title == "增值税发票开具流程"
    assert item.versions.get(number=2).change_note == "政策调整"


def test_the_database_refuses_to_change_a_version(org):
    version = article(org).current_version
    with pytest.raises(DatabaseError), transaction.atomic():
        ArticleVersion.objects.filter(pk=version.pk).update(body="篡改")
    version.refresh_from_db()
    assert version.body != "篡改"


def test_changing_only_category_and_validity_adds_no_version(org):
    item = article(org)
    folder = category(org)
    revise(org, item, category=folder, valid_until=TODAY, change_note="")
    item.refresh_from_db()
    assert item.versions.count() == 1
    assert item.category == folder and item.valid_until == TODAY
    assert item.history.count() == 3  # created, pointed at version 1, revised


def test_a_content_change_without_a_note_is_refused_and_nothing_is_written(org):
    item = article(org)
    with pytest.raises(ValidationError) as error:
        revise(org, item, body="新的说明", change_note=" ", valid_until=TODAY)
    assert error.value.error_dict["change_note"][0].code == "required"
    item.refresh_from_db()
    assert item.versions.count() == 1 and item.valid_until is None


def test_saving_without_any_change_is_refused(org):
    item = article(org)
    with pytest.raises(ValidationError) as error:
        revise(org, item)
    assert error.value.error_dict["body"][0].code == "unchanged"


def test_a_validity_that_ends_before_it_starts_is_refused_and_nothing_is_written(org):
    with pytest.raises(ValidationError) as error:
        article(org, valid_from=TODAY, valid_until=TODAY - timedelta(days=1))
    assert error.value.error_dict["valid_until"][0].code == "validity_order"
    assert not Article.objects.exists() and not ArticleVersion.objects.exists()


def test_publish_and_archive_follow_the_allowed_status_changes(org):
    item = article(org, publish=False)
    services.publish_article(user=user(org, "qa"), article=item)
    item.refresh_from_db()
    assert item.status == "published" and item.published_at is not None
    with pytest.raises(Conflict):
        services.publish_article(user=user(org, "qa"), article=item)
    services.archive_article(user=user(org, "manager"), article=item)
    item.refresh_from_db()
    assert item.status == "archived"
    assert item.history.first().history_user == user(org, "manager")


def test_an_agent_cannot_write_articles(org):
    with pytest.raises(NotAllowed):
        article(org, persona="agent")
    item = article(org)
    with pytest.raises(NotAllowed):
        services.archive_article(user=user(org, "agent"), article=item)
    assert Article.objects.get(pk=item.pk).status == "published"


def test_a_supervisor_writes_for_their_department_only(org):
    with pytest.raises(ValidationError) as error:
        article(org, persona="supervisor")
    assert error.value.error_dict["department"][0].code == "department_required"
    with pytest.raises(ValidationError):
        article(org, persona="supervisor", department=org.other_department)
    own = article(org, persona="supervisor", department=org.department)
    revise(org, own, persona="supervisor", body="部门内更新")
    centre_wide = article(org, persona="trainer")
    with pytest.raises(NotAllowed):
        revise(org, centre_wide, persona="supervisor", body="越权")
    other = article(org, persona="manager", department=org.other_department)
    with pytest.raises(OutOfScope):  # the other department's article is not even readable
        revise(org, other, persona="supervisor", body="越权")


def test_department_articles_are_read_by_that_department_and_centre_roles_only(org):
    vip = article(org, persona="manager", title="VIP专线须知", department=org.other_department)
    everyone = article(org, title="全中心须知")
    readable = {
        name: set(selectors.articles_readable_by(user(org, name)).values_list("pk", flat=True))
        for name in ("agent", "vip_agent", "team_leader", "manager")
    }
    assert readable["agent"] == {everyone.pk}
    assert readable["team_leader"] == {everyone.pk}
    assert readable["vip_agent"] == {everyone.pk, vip.pk}
    assert readable["manager"] == {everyone.pk, vip.pk}


def test_agents_see_only_published_articles_editors_also_drafts(org):
    draft = article(org, publish=False)
    assert not selectors.articles_readable_by(user(org, "agent")).filter(pk=draft.pk).exists()
    assert selectors.articles_readable_by(user(org, "qa")).filter(pk=draft.pk).exists()


def test_a_version_stays_citable_after_its_article_was_revised(org):
    item = article(org)
    cited = item.current_version
    revise(org, item, body="新的说明")
    assert selectors.version_readable_by(user(org, "agent"), cited.pk).body == cited.body


# --- quick phrases ------------------------------------------------------------------------------


def test_an_agent_keeps_personal_quick_phrases_and_sees_shared_ones(org):
    agent = user(org, "agent")
    mine = services.create_quick_phrase(user=agent, shortcut="hi", title="问候", text="您好，{工号}为您服务")
    shared = services.create_quick_phrase(
        user=user(org, "trainer"), shortcut="/hi", title="问候", text="您好", shared=True
    )
    theirs = services.create_quick_phrase(user=user(org, "teammate"), shortcut="/hi", title="问候", text="嗨")
    assert mine.shortcut == "/hi" and mine.owner == org.people["agent"]
    assert set(selectors.quick_phrases_for(agent)) == {mine, shared}
    assert theirs not in selectors.quick_phrases_for(agent)
    services.update_quick_phrase(user=agent, phrase=mine, shortcut="/hello", title="问候", text="您好！")
    mine.refresh_from_db()
    assert (mine.shortcut, mine.text) == ("/hello", "您好！")
    assert mine.history.first().history_user == agent
    with pytest.raises(OutOfScope):
        services.delete_quick_phrase(user=agent, phrase=theirs)
    with pytest.raises(NotAllowed):
        services.delete_quick_phrase(user=agent, phrase=shared)
    services.delete_quick_phrase(user=agent, phrase=mine)
    assert set(QuickPhrase.objects.all()) == {shared, theirs}


def test_only_editors_share_quick_phrases(org):
    with pytest.raises(NotAllowed):
        services.create_quick_phrase(user=user(org, "agent"), shortcut="/x", title="x", text="x", shared=True)
    assert not QuickPhrase.objects.exists()


def test_a_shortcut_is_used_once_per_owner_and_once_among_shared_phrases(org):
    services.create_quick_phrase(user=user(org, "agent"), shortcut="/bye", title="再见", text="再见")
    with pytest.raises(ValidationError) as error:
        services.create_quick_phrase(user=user(org, "agent"), shortcut="bye", title="再见", text="再见！")
    assert error.value.error_dict["shortcut"][0].code == "duplicate"
    with pytest.raises(ValidationError) as error:
        services.create_quick_phrase(user=user(org, "agent"), shortcut="/a b", title="x", text="x")
    assert error.value.error_dict["shortcut"][0].code == "invalid_shortcut"
    assert QuickPhrase.objects.count() == 1


# --- standard scripts (KB-2) --------------------------------------------------------------------------


def test_standard_scripts_load_once_as_published_articles_and_shared_phrases(org):
    first = services.load_standard_scripts(centre=org.centre, today=TODAY)
    assert first.articles_created == len(standard_scripts.ARTICLES) >= 11
    assert first.phrases_created == len(standard_scripts.QUICK_PHRASES)
    scripts = Article.objects.filter(category=first.category)
    assert first.category.name == "标准用语"
    assert set(scripts.values_list("status", flat=True)) == {"published"}
    greeting = scripts.get(seed_key="greeting")
    assert "（工号）为您服务" in greeting.current_version.body
    revise(org, greeting, body="您好，5023号为您服务！")  # an editor's change survives a reload
    again = services.load_standard_scripts(centre=org.centre, today=TODAY)
    assert (again.articles_created, again.phrases_created) == (0, 0)
    assert Article.objects.count() == len(standard_scripts.ARTICLES)
    assert QuickPhrase.objects.filter(owner__isnull=True).count() == len(standard_scripts.QUICK_PHRASES)
    greeting.refresh_from_db()
    assert greeting.current_version.number == 2
    found = selectors.search_articles(user(org, "agent"), "普通话", only_valid_on=timezone.localdate())
    assert [a.seed_key for a in found] == ["dialect"]


def test_the_command_loads_the_scripts_for_a_centre_and_can_run_again(org, capsys):
    call_command("load_standard_scripts", "--centre", org.centre.code)
    call_command("load_standard_scripts", "--centre", org.centre.code)
    out = capsys.readouterr().out
    assert Article.objects.filter(centre=org.centre).count() == len(standard_scripts.ARTICLES)
    assert Category.objects.filter(name="标准用语").count() == 1
    assert len(out.strip().splitlines()) == 2


def test_loading_scripts_as_a_user_needs_a_centre_wide_editor(org):
    with pytest.raises(NotAllowed):
        services.load_standard_scripts(centre=org.centre, user=user(org, "supervisor"))
    assert not Article.objects.exists()
    services.load_standard_scripts(centre=org.centre, user=user(org, "trainer"))
    assert Article.objects.first().history.last().history_user == user(org, "trainer")
