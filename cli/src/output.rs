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

use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};

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
    fn plain_values_look_like_ordinary_json() {
        let out = to_string(&serde_json::json!({ "n": 3, "ok": true, "list": ["x", "y"] }));
        assert_eq!(out, r#"{"list":["x","y"],"n":3,"ok":true}"#);
    }
}
