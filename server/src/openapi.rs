//! The OpenAPI document: generated from the handlers' annotations ([`ApiDoc`]), then made
//! exact for this relay by [`document`]: the base64url rule and byte lengths of every binary
//! value, the real unsigned integer ranges, the limits of the running configuration, and
//! every status the HTTP edge and the router can answer on each operation.

use crate::config::Config;
use crate::handlers::{bundle, mailbox, misc};
use corridor_wire::{CREDENTIAL_LEN, ENVELOPE_SIZE, ID_LEN, NONCE_LEN};
use serde_json::{Map, Value, json};
use utoipa::OpenApi;

/// The relay's OpenAPI document as annotated (see [`document`] for what is served).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Corridor relay API",
        description = "Stores and forwards fixed-size opaque envelopes. Ids travel in bodies, \
never in paths. Every error is a JSON ErrorBody. Binary values are unpadded base64url \
(RFC 4648 section 5, canonical: unused trailing bits are zero). Signed requests: see \
docs/relay-api.md, \"Signed requests\", for the exact transcript bytes."
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

/// Length of the unpadded base64url text of `n` bytes.
pub const fn b64_len(n: usize) -> usize {
    (n * 8).div_ceil(6)
}

/// The characters a last base64url character may be when `zero_bits` trailing bits must be
/// zero.
fn last_chars(zero_bits: usize) -> &'static str {
    match zero_bits {
        2 => "AEIMQUYcgkosw048",
        4 => "AQgw",
        _ => "A-Za-z0-9_-",
    }
}

/// A regular expression for the canonical unpadded base64url text of exactly `n` bytes.
pub fn fixed_pattern(n: usize) -> String {
    let len = b64_len(n);
    let zero_bits = len * 6 - n * 8;
    if zero_bits == 0 {
        format!("^[A-Za-z0-9_-]{{{len}}}$")
    } else {
        format!("^[A-Za-z0-9_-]{{{}}}[{}]$", len - 1, last_chars(zero_bits))
    }
}

/// A regular expression for canonical unpadded base64url text of any length.
pub const BLOB_PATTERN: &str =
    "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-][AQgw]|[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048])?$";

fn fixed(n: usize) -> Value {
    json!({
        "type": "string",
        "contentEncoding": "base64url",
        "pattern": fixed_pattern(n),
        "minLength": b64_len(n),
        "maxLength": b64_len(n),
        "description": format!("{n} bytes, unpadded base64url"),
    })
}

fn blob(max: Option<usize>) -> Value {
    let mut schema = json!({
        "type": "string",
        "contentEncoding": "base64url",
        "pattern": BLOB_PATTERN,
    });
    if let Some(max) = max {
        schema["maxLength"] = json!(b64_len(max));
        schema["description"] = json!(format!("at most {max} bytes, unpadded base64url"));
    }
    schema
}

/// The binary schema of `property` in `schema`, given the running configuration.
fn binary(config: &Config, schema: &str, property: &str) -> Value {
    match property {
        "read_id" | "deposit_id" | "bundle_id" => fixed(ID_LEN),
        "nonce" => fixed(NONCE_LEN),
        "auth_key" => fixed(32),
        "deposit_credential" | "credential" => fixed(CREDENTIAL_LEN),
        "signature" => fixed(64),
        "envelope" => fixed(ENVELOPE_SIZE),
        "signed" | "last_resort" | "key" if schema != "ChallengeResponse" => {
            blob(Some(config.max_bundle_part_bytes))
        }
        _ => blob(None),
    }
}

fn keep_description(old: &Value, mut new: Value) -> Value {
    if let (Some(text), Some(obj)) = (old.get("description"), new.as_object_mut()) {
        let detail = obj
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let joined = match (text.as_str(), detail) {
            (Some(text), Some(detail)) => json!(format!("{text} ({detail})")),
            _ => text.clone(),
        };
        obj.insert("description".into(), joined);
    }
    new
}

/// Rewrites every property of an object schema (and of nested objects and `oneOf`
/// variants): binary values, unsigned integers, closed objects.
fn refine(config: &Config, name: &str, schema: &mut Value) {
    if let Some(variants) = schema.get_mut("oneOf").and_then(Value::as_array_mut) {
        for variant in variants {
            refine(config, name, variant);
        }
    }
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if obj.get("type") == Some(&json!("object")) && obj.contains_key("properties") {
        // Every request body refuses unknown fields; answers carry none.
        obj.insert("additionalProperties".into(), json!(false));
    }
    let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (prop, value) in props.iter_mut() {
        if value.get("format") == Some(&json!("byte")) {
            *value = keep_description(value, binary(config, name, prop));
            continue;
        }
        refine_integer(prop, value);
        if let Some(items) = value.get_mut("items") {
            refine_integer(prop, items);
        }
        if value.get("type") == Some(&json!("object")) {
            refine(config, name, value);
        }
    }
    if name == "AckRequest" {
        if let Some(seqs) = props.get_mut("seqs") {
            seqs["maxItems"] = json!(config.max_ack_seqs);
        }
    }
    if name == "Bundle" {
        if let Some(one_time) = props.get_mut("one_time") {
            one_time["maxItems"] = json!(config.max_one_time_prekeys);
        }
    }
}

/// utoipa writes u32/u64 as `int32`/`int64` with `minimum: 0`; give the real ranges.
fn refine_integer(prop: &str, value: &mut Value) {
    if value.get("type") != Some(&json!("integer")) {
        return;
    }
    let range = match (prop, value.get("format").and_then(Value::as_str)) {
        ("difficulty", _) => json!(["uint8", u64::from(corridor_wire::pow::MAX_DIFFICULTY)]),
        (_, Some("int32")) => json!(["uint32", u64::from(u32::MAX)]),
        (_, Some("int64")) => json!(["uint64", u64::MAX]),
        _ => return,
    };
    value["format"] = range[0].clone();
    value["minimum"] = json!(0);
    value["maximum"] = range[1].clone();
}

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// Adds `status` (or extends its description) on `op`.
fn add_status(op: &mut Map<String, Value>, status: &str, codes: &str) {
    let responses = op.entry("responses").or_insert_with(|| json!({}));
    let Some(responses) = responses.as_object_mut() else {
        return;
    };
    match responses.get_mut(status) {
        Some(existing) => {
            let old = existing
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let missing: Vec<&str> = codes
                .split(", ")
                .filter(|code| !old.contains(code))
                .collect();
            if !missing.is_empty() {
                existing["description"] = json!(format!("{old}, {}", missing.join(", ")));
            }
        }
        None => {
            responses.insert(status.into(), error(codes));
        }
    }
}

/// The statuses the HTTP edge and the router's layers can answer on every operation.
fn add_common_statuses(path: &str, method: &str, op: &mut Map<String, Value>) {
    let versioned = path.starts_with("/v1/");
    let post = method == "post";
    add_status(op, "400", "malformed_request");
    if post {
        add_status(op, "400", "invalid_body");
        add_status(op, "413", "body_too_large");
        add_status(op, "415", "unsupported_media_type");
    }
    add_status(op, "408", "body_timeout");
    add_status(op, "431", "headers_too_large");
    add_status(op, "414", "uri_too_long");
    add_status(op, "503", "overloaded, shutting_down");
    if versioned {
        add_status(op, "408", "timeout");
        add_status(op, "429", "rate_limited");
    }
}

/// The document served at `/v1/openapi.json` for a relay running with `config`.
pub fn document(config: &Config) -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            refine(config, name, schema);
        }
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                if let Some(op) = op.as_object_mut() {
                    add_common_statuses(path, method, op);
                }
            }
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use data_encoding::BASE64URL_NOPAD;

    #[test]
    fn fixed_patterns_admit_exactly_canonical_encodings() {
        assert_eq!(fixed_pattern(16), "^[A-Za-z0-9_-]{21}[AQgw]$");
        assert_eq!(fixed_pattern(32), "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$");
        assert_eq!(fixed_pattern(64), "^[A-Za-z0-9_-]{85}[AQgw]$");
        assert_eq!(b64_len(4096), 5462);
        // Every last character the pattern allows decodes; every other one is refused.
        for n in [1usize, 2, 16, 32, 64] {
            let allowed = last_chars(b64_len(n) * 6 - n * 8);
            for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".chars() {
                let text = format!("{}{c}", "A".repeat(b64_len(n) - 1));
                let decodes = BASE64URL_NOPAD.decode(text.as_bytes()).is_ok();
                assert_eq!(decodes, allowed.contains(c), "{n} bytes, last {c}");
            }
        }
    }
}
