//! Draws the sales report (`/laporan`) as a PNG: revenue per WIB day above, orders per day
//! below. The font is compiled in (DejaVu Sans, see assets/fonts/LICENSE-DejaVu), so the chart
//! needs nothing from the VM: no fontconfig, no system fonts.

use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::{
    domain::{money::rupiah, report::Report, time::wib_day_label},
    texts::report as words,
};

pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 640;

const FONT: &str = "sans-serif";
const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const REVENUE_COLOR: RGBColor = RGBColor(33, 110, 180);
const ORDERS_COLOR: RGBColor = RGBColor(230, 126, 34);

#[derive(Debug, thiserror::Error)]
#[error("the sales chart could not be drawn")]
pub struct ChartError;

fn failed<E>(_: E) -> ChartError {
    ChartError
}

/// Registers the compiled-in font once; false if it could not be read (then no chart).
fn font_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok())
}

/// Draws on a blocking thread: a render is ~10 ms of CPU work.
pub async fn png_off_thread(report: Report) -> Result<Vec<u8>, ChartError> {
    tokio::task::spawn_blocking(move || png(&report)).await.map_err(failed)?
}

pub fn png(report: &Report) -> Result<Vec<u8>, ChartError> {
    if !font_ready() {
        return Err(ChartError);
    }
    let mut rgb = vec![255u8; usize::try_from(WIDTH * HEIGHT * 3).map_err(failed)?];
    draw(report, &mut rgb)?;
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(failed)?;
        writer.write_image_data(&rgb).map_err(failed)?;
    }
    Ok(out)
}

fn draw(report: &Report, rgb: &mut [u8]) -> Result<(), ChartError> {
    let root = BitMapBackend::with_buffer(rgb, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(failed)?;
    let root = root.titled(&words::title(report), (FONT, 22)).map_err(failed)?;
    let (top, bottom) = root.split_vertically(HEIGHT * 55 / 100);
    let revenue: Vec<(i64, i64)> = report.days.iter().map(|d| (d.day, d.revenue)).collect();
    let orders: Vec<(i64, i64)> = report.days.iter().map(|d| (d.day, d.orders)).collect();
    bars(&top, report, words::CHART_REVENUE, &revenue, REVENUE_COLOR, &|v| rupiah(*v))?;
    bars(&bottom, report, words::CHART_ORDERS, &orders, ORDERS_COLOR, &|v| v.to_string())?;
    root.present().map_err(failed)
}

/// One bar per day; days are x positions, labelled "dd/mm".
fn bars(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    report: &Report,
    caption: &str,
    values: &[(i64, i64)],
    color: RGBColor,
    y_label: &dyn Fn(&i64) -> String,
) -> Result<(), ChartError> {
    let (first, last) = (report.window.first_day, report.window.last_day());
    // Headroom above the tallest bar; at least 1 so an empty period still has an axis.
    let top = values.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let top = top + top / 10 + 1;
    let x_range = (first as f64 - 0.5)..(last as f64 + 0.5);
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .caption(caption, (FONT, 17))
        .x_label_area_size(28)
        .y_label_area_size(110)
        .build_cartesian_2d(x_range, 0i64..top)
        .map_err(failed)?;
    let day_label = |x: &f64| {
        let label = wib_day_label(x.round() as i64);
        label.get(..5).unwrap_or(&label).to_string()
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(usize::try_from(report.window.days.min(12)).unwrap_or(12))
        .x_label_formatter(&day_label)
        .y_labels(5)
        .y_label_formatter(y_label)
        .label_style((FONT, 13))
        .draw()
        .map_err(failed)?;
    // Narrow bars for long periods so neighbours never touch.
    let half = 0.38;
    chart
        .draw_series(values.iter().filter(|(_, v)| *v > 0).map(|(day, v)| {
            let x = *day as f64;
            Rectangle::new([(x - half, 0), (x + half, *v)], color.filled())
        }))
        .map_err(failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::{every_day, Day, Tally, Window};

    fn report(days: i64, sold: &[Day]) -> Report {
        let window = Window::last(days, 1_764_000_000);
        let days = every_day(window, sold);
        Report {
            window,
            sales: Tally { count: days.iter().map(|d| d.orders).sum(), amount: days.iter().map(|d| d.revenue).sum() },
            days,
            deposits: Tally::default(),
            refunds: Tally::default(),
            top_products: vec![],
            top_buyers: vec![],
            running_out: vec![],
        }
    }

    fn decoded(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        (info.width, info.height, buf)
    }

    #[test]
    fn a_chart_is_a_png_with_bars_where_there_were_sales() {
        let empty = report(30, &[]);
        let quiet = png(&empty).unwrap();
        let w = empty.window;
        let busy = report(
            30,
            &[
                Day { day: w.first_day + 3, orders: 4, revenue: 120_000 },
                Day { day: w.last_day(), orders: 9, revenue: 2_700_000 },
            ],
        );
        let bytes = png(&busy).unwrap();
        let (width, height, pixels) = decoded(&bytes);
        assert_eq!((width, height), (WIDTH, HEIGHT));
        let colored = |px: &[u8], c: RGBColor| px.chunks(3).filter(|p| p == &[c.0, c.1, c.2]).count();
        // Both series are drawn, each as solid bars of their own colour.
        assert!(colored(&pixels, REVENUE_COLOR) > 1_000, "revenue bars");
        assert!(colored(&pixels, ORDERS_COLOR) > 1_000, "order bars");
        let (_, _, nothing) = decoded(&quiet);
        assert_eq!(colored(&nothing, REVENUE_COLOR) + colored(&nothing, ORDERS_COLOR), 0);
        // Text was drawn (the title and axis labels are dark pixels).
        assert!(nothing.chunks(3).filter(|p| p.iter().all(|c| *c < 100)).count() > 2_000);
        assert!(bytes.len() < 200_000, "{} bytes", bytes.len());
    }

    #[test]
    fn a_long_period_still_draws() {
        let r = report(366, &[Day { day: 20_000, orders: 1, revenue: 1 }]);
        assert!(png(&r).is_ok());
    }
}
