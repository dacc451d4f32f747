from __future__ import annotations

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from supportal.chat import views as chat_views
from supportal.core import maintenance_views
from supportal.core import views as core_views
from supportal.helpcenter.views import media as helpcenter_media_views
from supportal.helpcenter.views import pages as helpcenter_views
from supportal.legal import views as legal_views
from supportal.mail.views import inbound as mail_inbound_views
from supportal.monitoring import views as monitoring_views
from supportal.phone import api as phone_api
from supportal.rum import views as rum_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    # Prometheus; only from METRICS_ALLOWED_IPS or with METRICS_TOKEN, else the usual 404.
    path("metrics", monitoring_views.metrics, name="metrics"),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("robots.txt", helpcenter_views.robots_txt, name="robots_txt"),
    path("sitemap.xml", helpcenter_views.sitemap, name="sitemap"),
    path(".well-known/security.txt", legal_views.security_txt, name="security_txt"),
    path("media/<path:path>", helpcenter_media_views.serve_media, name="media"),
    # Mail services post inbound messages here; the secret in the URL is the credential.
    path("mail/inbound/<str:token>", mail_inbound_views.inbound, name="mail_inbound"),
    # Browser timing beacons (static/js/rum.js); answered by BeaconMiddleware before sessions.
    path("rum/", rum_views.beacon, name="rum_beacon"),
    # Telephony systems post call events here (docs/phone.md); the shared secret is the credential.
    path("api/phone/", phone_api.urls()),
    # The one script tag a company puts on its own site (a launcher for the chat's iframe).
    path("chat/embed.js", chat_views.embed_script, name="chat_embed"),
    path("chat/embed-check", chat_views.embed_check, name="chat_embed_check"),
]

urlpatterns += i18n_patterns(
    path("", include("supportal.core.urls")),
    path("accounts/", include("supportal.accounts.urls")),
    path("help/", include("supportal.helpcenter.urls")),
    path("agent/help/", include("supportal.helpcenter.agent_urls")),
    path("requests/", include("supportal.tickets.urls")),
    path("chat/", include("supportal.chat.urls")),
    # Its own prefixes: agent/chat/ (the panel) and agent/manage/chat/ (the settings).
    path("agent/", include("supportal.chat.agent_urls")),
    path("agent/", include("supportal.tickets.agent_urls")),
    path("agent/", include("supportal.phone.urls")),
    path("agent/manage/mail/", include("supportal.mail.urls")),
    path("agent/manage/audit/", include("supportal.audit.urls")),
    path("agent/manage/maintenance/", maintenance_views.maintenance, name="maintenance"),
    path("agent/manage/performance/", include("supportal.rum.urls")),
    path("agent/manage/status/", include("supportal.monitoring.urls")),
    path("agent/manage/people/", include("supportal.accounts.people_urls")),
    path("agent/", include("supportal.automation.urls")),
    path("agent/manage/", include("supportal.sla.urls")),
    path("agent/", include("supportal.rules.urls")),
    # Its own prefixes: privacy/, terms/, accessibility/, legal/accept/ and agent/manage/legal/.
    path("", include("supportal.legal.urls")),
    # Its own prefixes: requests/<number>/rate/... and agent/satisfaction/.
    path("", include("supportal.satisfaction.urls")),
    # Its own prefixes: personal-data/ and agent/manage/personal-data/.
    path("", include("supportal.privacy.urls")),
    prefix_default_language=True,
)

handler400 = "supportal.core.views.bad_request"
handler403 = "supportal.core.views.permission_denied"
handler404 = "supportal.core.views.page_not_found"
handler500 = "supportal.core.views.server_error"
