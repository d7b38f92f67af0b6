//! Shared by the vectors tests: the check that a vector file is exactly what the code
//! generates, and the test of that check (every byte of every file is pinned).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

/// `docs/test-vectors/<name>`.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/test-vectors")
        .join(name)
}

/// Writes `generated` to the file when `CORRIDOR_REGENERATE_VECTORS` is set; returns the
/// file's text.
pub fn read_or_regenerate(name: &str, generated: &str, regenerate: &str) -> String {
    let file = path(name);
    if std::env::var_os("CORRIDOR_REGENERATE_VECTORS").is_some() {
        std::fs::write(&file, generated).unwrap();
    }
    std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e}; regenerate with {regenerate}", file.display()))
}

/// The whole check of one file's text: it must be byte for byte what the code generates,
/// and it must parse and pass `replay` (the self-contained check a second implementation
/// would run).
pub fn check_text(
    text: &str,
    generated: &str,
    replay: &dyn Fn(&serde_json::Value) -> Result<(), String>,
) -> Result<(), String> {
    if text != generated {
        return Err("differs from what the code generates".into());
    }
    let parsed: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    replay(&parsed)
}

/// Changes every byte of `text` in turn (in memory) and asserts that [`check_text`]
/// refuses each changed file, after accepting the file itself.
pub fn every_byte_is_pinned(
    name: &str,
    text: &str,
    generated: &str,
    replay: &dyn Fn(&serde_json::Value) -> Result<(), String>,
) {
    check_text(text, generated, replay).unwrap();
    // Every vector file is ASCII, so each byte is a character and can be replaced in place
    // (an equal-length `replace_range` moves nothing).
    assert!(text.is_ascii(), "{name} is not ASCII");
    let mut changed = text.to_owned();
    for i in 0..text.len() {
        let original = &text[i..=i];
        // Another printable character, so the changed file is still text.
        changed.replace_range(i..=i, if original == "0" { "1" } else { "0" });
        assert!(
            check_text(&changed, generated, replay).is_err(),
            "{name}: changing byte {i} went unnoticed"
        );
        changed.replace_range(i..=i, original);
    }
    assert_eq!(changed, text);
}
