//! Writing results to stdout: human lines or `--json`.
//!
//! Every write returns its `io::Error` instead of panicking as `println!` does, so that
//! `corridor inbox | head -1` ends quietly when the reader goes away (see `main`).
//!
//! JSON output escapes every non-ASCII character as `\uXXXX` (and DEL as well as the control
//! characters serde_json already escapes). That is lossless for a program reading it, and
//! it means a bidi override or a C1 control in someone's message cannot act on a terminal
//! that happens to display the JSON.

use std::fmt::Display;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};

/// Whether the command now running prints JSON (set by `main` and by `corridor shell` for
/// each line). Read by the helpers below, so that under `--json` stderr carries only JSON.
static JSON_MODE: AtomicBool = AtomicBool::new(false);

/// Whether times are shown in the system's local time zone instead of UTC.
static LOCAL_TIME: AtomicBool = AtomicBool::new(false);

/// Chooses local time (`--local-time`) or UTC for [`time`].
pub(crate) fn set_local_time(on: bool) {
    LOCAL_TIME.store(on, Ordering::SeqCst);
}

/// A Unix time for people: `2026-03-01 14:05 UTC`, or with `--local-time` in the system's
/// time zone, e.g. `2026-03-01 17:05 +03` (JSON always carries Unix seconds).
pub(crate) fn time(secs: u64) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(i64::try_from(secs).unwrap_or(i64::MAX)) else {
        return format!("@{secs}");
    };
    if LOCAL_TIME.load(Ordering::SeqCst) {
        let zoned = ts.to_zoned(jiff::tz::TimeZone::system());
        return zoned.strftime("%Y-%m-%d %H:%M %Z").to_string();
    }
    ts.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// Switches JSON mode on or off for what follows.
/// `1 one` or `N many`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// A duration in words, its two largest units: `30 days`, `1 day 2 hours`, `45 minutes`.
pub(crate) fn duration_words(secs: u64) -> String {
    const UNITS: [(u64, &str, &str); 4] = [
        (86_400, "day", "days"),
        (3_600, "hour", "hours"),
        (60, "minute", "minutes"),
        (1, "second", "seconds"),
    ];
    let mut rest = secs;
    let mut parts = Vec::new();
    for (size, one, many) in UNITS {
        let n = rest / size;
        rest %= size;
        if n > 0 && parts.len() < 2 {
            parts.push(plural(usize::try_from(n).unwrap_or(usize::MAX), one, many));
        } else if !parts.is_empty() {
            break;
        }
    }
    if parts.is_empty() {
        return "0 seconds".to_owned();
    }
    parts.join(" ")
}

pub(crate) fn set_json_mode(on: bool) {
    JSON_MODE.store(on, Ordering::SeqCst);
}

/// Whether JSON mode is on.
pub(crate) fn json_mode() -> bool {
    JSON_MODE.load(Ordering::SeqCst)
}

/// A hint for a person (what to do next), on stderr; nothing under `--json`, where the
/// same facts are fields of the JSON result.
pub(crate) fn hint(text: impl Display) {
    if !json_mode() {
        eprintln!("{text}");
    }
}

/// A warning on stderr: `corridor: warning: …` as text, or `{"warning":"…"}` under `--json`.
pub(crate) fn warn(text: impl Display) {
    if json_mode() {
        let mut err = io::stderr().lock();
        let _ = write_json(
            &mut err,
            &serde_json::json!({ "warning": text.to_string() }),
        );
        let _ = err.write_all(b"\n");
    } else {
        eprintln!("corridor: warning: {text}");
    }
}

/// Writes one line of human-readable output to stdout.
pub(crate) fn line(text: impl Display) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()
}

/// Writes `value` as one line of ASCII-only JSON to stdout.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> io::Result<()> {
    let mut out = io::stdout().lock();
    write_json(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Serializes `value` to `writer` with every non-ASCII character escaped.
pub(crate) fn write_json<W: Write, T: Serialize + ?Sized>(writer: W, value: &T) -> io::Result<()> {
    let mut ser = Serializer::with_formatter(writer, AsciiFormatter);
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// serde_json's compact format (the trait's defaults), but escaping everything outside
/// printable ASCII.
struct AsciiFormatter;

impl Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() && c != '\u{7f}' {
                continue;
            }
            writer.write_all(fragment.get(start..i).unwrap_or_default().as_bytes())?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(fragment.get(start..).unwrap_or_default().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration_words(30 * 86_400), "30 days");
        assert_eq!(duration_words(86_400 + 2 * 3_600), "1 day 2 hours");
        assert_eq!(duration_words(86_400 + 5 * 60), "1 day");
        assert_eq!(duration_words(45 * 60), "45 minutes");
        assert_eq!(duration_words(1), "1 second");
        assert_eq!(duration_words(0), "0 seconds");
        assert_eq!(plural(1, "child", "children"), "1 child");
        assert_eq!(plural(2, "child", "children"), "2 children");
    }

    fn to_string<T: Serialize>(v: &T) -> String {
        let mut buf = Vec::new();
        write_json(&mut buf, v).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn non_ascii_is_escaped_and_round_trips() {
        let text = "a\u{202e}b 🏳\u{fe0f}\u{200d}🌈 Привет\u{7f}\u{1b}[2J\u{9b}";
        let out = to_string(&serde_json::json!({ "text": text }));
        assert!(out.is_ascii());
        assert!(!out.bytes().any(|b| b.is_ascii_control()));
        assert!(out.contains("\\u202e"));
        assert!(
            out.contains("\\ud83c\\udff3"),
            "astral characters use surrogate pairs: {out}"
        );
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back["text"], text);
    }

    #[test]
    fn times_in_utc_by_default() {
        assert_eq!(time(0), "1970-01-01 00:00 UTC");
        assert_eq!(time(1_772_373_900), "2026-03-01 14:05 UTC");
    }

    #[test]
    fn plain_values_look_like_ordinary_json() {
        let out = to_string(&serde_json::json!({ "n": 3, "ok": true, "list": ["x", "y"] }));
        assert_eq!(out, r#"{"list":["x","y"],"n":3,"ok":true}"#);
    }
}
