"""Words the code keeps in English (statuses, roles, actions, sources) and people read
translated: templates show them with ``_(word)``; this list puts them in the catalog."""

from __future__ import annotations

from cqfriends.i18n.translate import N_

STATUSES = (N_("collected"), N_("pending"), N_("approved"), N_("rejected"), N_("duplicate"),
            N_("removed"), N_("all"))
ROLES = (N_("admin"), N_("moderator"), N_("manager"), N_("webteam"))
ACTIONS = (N_("approve"), N_("reject"), N_("feature"), N_("unfeature"), N_("takedown"),
           N_("resection"), N_("requeue"), N_("undo"), N_("draw"), N_("author-block"),
           N_("author-trust"), N_("author-clear"), N_("user-add"), N_("user-role"),
           N_("user-password"), N_("user-deactivate"), N_("user-reactivate"),
           N_("token-create"), N_("token-revoke"))
RULES = (N_("block"), N_("trust"))
REASONS = (N_("off-topic"), N_("low-quality"), N_("inappropriate"), N_("spam"),
           N_("copyright"))
PLATFORMS = (N_("X (Twitter)"), N_("Facebook"), N_("Instagram"), N_("Douyin"), N_("TikTok"),
             N_("Upload"))
COUNTS = (N_("posts"), N_("authors"), N_("likes"), N_("comments"), N_("shares"), N_("views"))
MEDIA = (N_("photo"), N_("video"), N_("gif"))
