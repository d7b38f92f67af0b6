//! Make text that someone else wrote safe to print on a terminal.
//!
//! A contact's message, a label stored next to it, or an alias inside a relayed payload is
//! attacker-controlled: a member (or someone posing as one) could embed terminal escape
//! sequences that rewrite earlier lines, or bidi overrides that make `alice: meet at 5` render
//! as something else. Every such string goes through [`sanitize`] before it is printed.
//!
//! What is escaped (rendered as a visible `\u{…}` / `\n` / `\r` / `\t`):
//! - C0 controls (including ESC and NUL), DEL and the C1 controls U+0080–U+009F;
//! - every Unicode format character (general category Cf): the bidi embeddings, overrides and
//!   isolates U+202A–U+202E and U+2066–U+2069, the marks U+200E/U+200F/U+061C, zero-width
//!   space/non-joiner U+200B/U+200C, word joiner and invisible operators U+2060–U+2064,
//!   U+FEFF, soft hyphen, tag characters, …;
//! - the line and paragraph separators U+2028/U+2029.
//!
//! One exception, so that flags such as 🏳️‍🌈 and 🏳️‍⚧️ stay readable: a zero-width joiner
//! (U+200D) is kept when it joins two emoji. Anywhere else (for example inside a name, where
//! it would make two look-alike labels differ invisibly) it is escaped.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Zero-width joiner, kept only between two emoji.
const ZWJ: char = '\u{200D}';
/// Variation selector 16 (emoji presentation), which may sit between an emoji and a ZWJ.
const VS16: char = '\u{FE0F}';

/// Returns `text` with every control, format and bidi character escaped.
///
/// Borrowed when nothing needed escaping. The result never contains a character for which
/// [`is_dangerous`] holds, except a ZWJ between two emoji.
pub(crate) fn sanitize(text: &str) -> Cow<'_, str> {
    let chars: Vec<char> = text.chars().collect();
    let needs_escape = |i: usize, c: char| is_dangerous(c) && !(c == ZWJ && joins_emoji(&chars, i));
    if !chars.iter().enumerate().any(|(i, &c)| needs_escape(i, c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, &c) in chars.iter().enumerate() {
        if !needs_escape(i, c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            other => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{{{:x}}}", u32::from(other));
            }
        }
    }
    Cow::Owned(out)
}

/// True for characters that can move the cursor, change colours, reorder text or hide
/// themselves on a terminal.
pub(crate) fn is_dangerous(c: char) -> bool {
    c.is_control() || is_format(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Unicode general category Cf (format), as of Unicode 15.1.
///
/// Listed by hand because the workspace carries no Unicode tables; the set changes rarely
/// and only grows, and the test below pins the ranges that matter most.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Whether the ZWJ at `i` sits between two emoji (allowing a VS16 before it).
fn joins_emoji(chars: &[char], i: usize) -> bool {
    let before = match i.checked_sub(1).and_then(|j| chars.get(j)) {
        Some(&VS16) => i.checked_sub(2).and_then(|j| chars.get(j)),
        other => other,
    };
    let after = chars.get(i + 1);
    matches!((before, after), (Some(&b), Some(&a)) if is_emoji(b) && is_emoji(a))
}

/// The pictographic blocks that ZWJ sequences are built from.
fn is_emoji(c: char) -> bool {
    matches!(c, '\u{1F000}'..='\u{1FAFF}' | '\u{2600}'..='\u{27BF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let s = "Привет, meet at the station. سلام 👋";
        assert!(matches!(sanitize(s), Cow::Borrowed(t) if t == s));
    }

    #[test]
    fn terminal_escapes_are_made_visible() {
        assert_eq!(sanitize("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(sanitize("\u{0}\u{7}\u{7f}"), "\\u{0}\\u{7}\\u{7f}");
        assert_eq!(sanitize("line1\nline2\r\tx"), "line1\\nline2\\r\\tx");
        // C1 controls, including the 8-bit CSI.
        assert_eq!(sanitize("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(sanitize("\u{85}"), "\\u{85}");
    }

    #[test]
    fn every_bidi_control_is_escaped() {
        let bidi = [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ];
        for c in bidi {
            let s = format!("pay{c}txt");
            let out = sanitize(&s);
            assert!(!out.contains(c), "{:x} survived", u32::from(c));
            assert_eq!(out, format!("pay\\u{{{:x}}}txt", u32::from(c)));
        }
    }

    #[test]
    fn zero_width_and_format_characters_are_escaped() {
        for c in [
            '\u{200B}',
            '\u{200C}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{E0041}',
        ] {
            assert!(sanitize(&format!("a{c}b")).starts_with("a\\u{"));
        }
        assert_eq!(sanitize("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
    }

    #[test]
    fn zwj_is_kept_in_emoji_flags_but_not_in_names() {
        let rainbow = "🏳\u{FE0F}\u{200D}🌈";
        let trans = "🏳\u{FE0F}\u{200D}⚧\u{FE0F}";
        assert_eq!(sanitize(rainbow), rainbow);
        assert_eq!(sanitize(trans), trans);
        assert_eq!(sanitize("ali\u{200D}ce"), "ali\\u{200d}ce");
        assert_eq!(sanitize("\u{200D}🌈"), "\\u{200d}🌈");
        assert_eq!(sanitize("🌈\u{200D}"), "🌈\\u{200d}");
    }

    #[test]
    fn output_never_contains_a_dangerous_character() {
        // Every code point in the ranges an attacker would reach for.
        let mut all = String::new();
        for cp in (0u32..0x3000)
            .chain(0xFE00..0x10000)
            .chain(0xE0000..0xE0080)
        {
            if let Some(c) = char::from_u32(cp) {
                all.push(c);
            }
        }
        let out = sanitize(&all);
        assert!(!out.chars().any(is_dangerous));
    }
}
