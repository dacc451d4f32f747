"""Django admin (superusers only) for help-center rows; agents use the editor at /agent/help/."""

from __future__ import annotations

from django.contrib import admin

from supportal.helpcenter.models import (
    Article,
    ArticleTranslation,
    ArticleVote,
    Category,
    CategoryTranslation,
    Label,
    Notice,
    NoticeTranslation,
    SearchLog,
    Section,
    SectionTranslation,
)


class CategoryTranslationInline(admin.TabularInline):
    model = CategoryTranslation
    extra = 0


class SectionTranslationInline(admin.TabularInline):
    model = SectionTranslation
    extra = 0


class ArticleTranslationInline(admin.StackedInline):
    model = ArticleTranslation
    extra = 0
    readonly_fields = ("created_at", "updated_at")


class NoticeTranslationInline(admin.TabularInline):
    model = NoticeTranslation
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "position")
    inlines = (CategoryTranslationInline,)


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "category", "position")
    list_select_related = ("category",)
    inlines = (SectionTranslationInline,)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "visibility", "promoted", "created_at")
    list_filter = ("kind", "visibility", "promoted")
    search_fields = ("external_id", "translations__title")
    inlines = (ArticleTranslationInline,)
    raw_id_fields = ("section", "author")


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("__str__", "starts_at", "ends_at")
    inlines = (NoticeTranslationInline,)


@admin.register(ArticleVote)
class ArticleVoteAdmin(admin.ModelAdmin):
    list_display = ("article", "locale", "helpful", "created_at")
    list_filter = ("helpful", "locale")
    raw_id_fields = ("article", "user")


@admin.register(SearchLog)
class SearchLogAdmin(admin.ModelAdmin):
    list_display = ("query", "locale", "source", "results", "clicked_article", "created_at")
    list_filter = ("locale",)
    search_fields = ("query",)
    raw_id_fields = ("clicked_article", "user")


admin.site.register(Label)
