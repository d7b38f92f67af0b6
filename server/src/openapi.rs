//! The OpenAPI document, generated from the handlers' annotations.

use crate::handlers::{bundle, mailbox, misc};
use utoipa::OpenApi;

/// The relay's OpenAPI document (served at `/v1/openapi.json`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Corridor relay API",
        description = "Stores and forwards fixed-size opaque envelopes. Ids travel in bodies, \
never in paths. Every error is a JSON ErrorBody. See docs/relay-api.md."
    ),
    paths(
        misc::challenge,
        mailbox::create,
        mailbox::deposit,
        mailbox::fetch,
        mailbox::ack,
        mailbox::destroy,
        bundle::publish,
        bundle::fetch,
        bundle::delete,
        misc::openapi,
        misc::healthz,
        misc::metrics,
    )
)]
pub struct ApiDoc;
