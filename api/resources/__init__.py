"""HTTP resources: one Blueprint per resource, each view a few lines around a service call."""

from __future__ import annotations

from typing import Any

from api.resources import (
    api_keys,
    auth,
    businesses,
    categories,
    courses,
    events,
    group_mentoring,
    groups,
    health,
    identity,
    me,
    mentoring,
    moderation,
    orders,
    organizations,
    photos,
    products,
    program,
    reach,
    regions,
    reviews,
    sales,
    sponsorship,
    stats,
    training_events,
    webhooks,
)

BLUEPRINTS = (
    health.blp,
    auth.blp,
    me.blp,
    identity.blp,
    organizations.blp,
    api_keys.blp,
    regions.blp,
    categories.blp,
    businesses.blp,
    products.blp,
    photos.blp,
    orders.blp,
    reviews.blp,
    sales.blp,
    mentoring.blp,
    group_mentoring.blp,
    groups.blp,
    sponsorship.blp,
    courses.blp,
    training_events.blp,
    program.blp,
    stats.blp,
    reach.blp,
    moderation.blp,
    events.blp,
    webhooks.blp,
)


def register_blueprints(api: Any) -> None:
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
