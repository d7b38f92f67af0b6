//! Terminal QR codes, so an invitation or a safety number can be scanned from a screen
//! instead of being read aloud or pasted through another messenger.

use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

/// Renders `data` as a QR code with Unicode half blocks (two modules per character row).
///
/// Light modules are drawn as blocks: most terminals have a dark background, and scanners
/// need dark modules on a light field, including the quiet zone around the code.
pub(crate) fn render(data: &str) -> anyhow::Result<String> {
    let code = QrCode::new(data.as_bytes())?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_square_of_half_blocks() {
        let art = render("corridor-test-code-ABCDEF123456").unwrap();
        let lines: Vec<&str> = art.lines().collect();
        assert!(lines.len() > 10);
        let width = lines[0].chars().count();
        assert!(lines.iter().all(|l| l.chars().count() == width));
        // Two modules per row: roughly half as many lines as columns.
        assert!(lines.len() * 2 >= width && lines.len() * 2 <= width + 1);
        assert!(
            art.chars()
                .all(|c| matches!(c, ' ' | '\u{2580}' | '\u{2584}' | '\u{2588}' | '\n'))
        );
    }
}
