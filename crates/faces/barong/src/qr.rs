//! QR codes as PNG images (for TOTP enrolment), drawn without an image library: one byte per
//! pixel, greyscale.

use qrcode::{Color, QrCode};

/// A PNG of `data` with `scale` pixels per module and the standard four-module quiet zone.
pub fn png(data: &str, scale: usize) -> Option<Vec<u8>> {
    let code = QrCode::new(data.as_bytes()).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 4;
    let size = (width + 2 * quiet) * scale;
    let mut pixels = vec![255u8; size * size];
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            let (mx, my) = (i % width + quiet, i / width + quiet);
            for dy in 0..scale {
                let row = (my * scale + dy) * size;
                pixels[row + mx * scale..row + mx * scale + scale].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, size as u32, size as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().ok()?;
        writer.write_image_data(&pixels).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn draws_a_png() {
        let png = super::png("otpauth://totp/keyhall:a@b.co?secret=JBSWY3DPEHPK3PXP", 4).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
