//! Renders a QRIS string as a PNG image.

/// Pixels per QR module and the quiet zone around the code, in modules.
const SCALE: usize = 8;
const QUIET: usize = 4;

#[derive(Debug, thiserror::Error)]
#[error("QR code could not be rendered")]
pub struct QrError;

/// Renders on a blocking thread, at most one render per core at a time: a render is pure CPU
/// work with a few hundred KB of buffers, so more at once only adds threads (each with its own
/// malloc arena) and memory, not speed. 500 invoices at once used to start ~100 threads.
pub async fn png_off_thread(data: String) -> Result<Result<Vec<u8>, QrError>, tokio::task::JoinError> {
    static RENDERS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
    });
    // Never closed, so `None` does not happen.
    let turn = RENDERS.acquire().await.ok();
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        png(&data)
    })
    .await
}

pub fn png(data: &str) -> Result<Vec<u8>, QrError> {
    let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M).map_err(|_| QrError)?;
    let width = code.width();
    let colors = code.to_colors();
    let side = (width + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (mx, my) = (i % width + QUIET, i / width + QUIET);
            for dy in 0..SCALE {
                let row = (my * SCALE + dy) * side;
                for dx in 0..SCALE {
                    if let Some(p) = pixels.get_mut(row + mx * SCALE + dx) {
                        *p = 0;
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let side = u32::try_from(side).map_err(|_| QrError)?;
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|_| QrError)?;
        writer.write_image_data(&pixels).map_err(|_| QrError)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_a_png() {
        let png = super::png("00020101021226610016ID.CO.QRIS.WWW").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
