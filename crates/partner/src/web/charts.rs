//! Charts for the dashboard, drawn on the server as inline SVG: no script, no library, no
//! network. They carry numbers and fixed labels only; names a client chose (templates,
//! businesses) stay in the page's escaped HTML beside them.
//!
//! Each bar says what it shows three ways: a `<title>` (read by screen readers and shown on
//! hover), a text label where there is room, and `data-*` attributes (`data-step` or
//! `data-date`, and `data-value`) for scripts and tests.

use std::fmt::Write as _;

/// Width of a funnel chart's bars at their longest, in pixels.
const FUNNEL_WIDTH: i64 = 160;
/// Height of one funnel bar.
const FUNNEL_BAR: i64 = 12;
/// Height of the daily chart's plot.
const DAILY_HEIGHT: i64 = 80;
/// Width of one day's column.
const DAILY_COLUMN: i64 = 12;

/// `part` of `whole` pixels, rounded, at least 1 for a non-zero part.
fn scaled(part: i64, whole: i64, pixels: i64) -> i64 {
    if part <= 0 || whole <= 0 {
        return 0;
    }
    (part.saturating_mul(pixels) + whole / 2) / whole
}

/// A funnel as horizontal bars, one per step (`sent`, `delivered`, …), each as long as its
/// share of the first step, labelled with its name and count.
pub fn funnel(steps: &[(&'static str, i64)]) -> String {
    let first = steps.first().map_or(0, |(_, n)| *n);
    let height = FUNNEL_BAR * i64::try_from(steps.len()).unwrap_or(0) + 4;
    let mut svg = format!(
        r#"<svg class="chart funnel-chart" width="{w}" height="{height}" viewBox="0 0 {w} {height}" role="img" aria-label="funnel">"#,
        w = FUNNEL_WIDTH + 110
    );
    for (i, (name, n)) in steps.iter().enumerate() {
        let y = i64::try_from(i).unwrap_or(0) * FUNNEL_BAR + 2;
        let width = scaled(*n, first, FUNNEL_WIDTH).max(i64::from(*n > 0));
        let _ = write!(
            svg,
            r#"<rect x="0" y="{y}" width="{width}" height="{h}" class="bar {name}" data-step="{name}" data-value="{n}"><title>{name} {n}</title></rect><text x="{tx}" y="{ty}">{name} {n}</text>"#,
            h = FUNNEL_BAR - 2,
            tx = FUNNEL_WIDTH + 4,
            ty = y + FUNNEL_BAR - 3,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A daily series as columns, the tallest day filling the plot; each column's title gives the
/// date (`YYYY-MM-DD`) and the count.
pub fn daily(series: &[(String, i64)]) -> String {
    let top = series.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let width = DAILY_COLUMN * i64::try_from(series.len()).unwrap_or(0);
    let mut svg = format!(
        r#"<svg class="chart daily-chart" width="{width}" height="{h}" viewBox="0 0 {width} {h}" role="img" aria-label="messages sent per day">"#,
        h = DAILY_HEIGHT + 2
    );
    for (i, (date, n)) in series.iter().enumerate() {
        let height = scaled(*n, top, DAILY_HEIGHT).max(i64::from(*n > 0));
        let x = i64::try_from(i).unwrap_or(0) * DAILY_COLUMN;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{y}" width="{w}" height="{height}" class="bar day" data-date="{date}" data-value="{n}"><title>{date}: {n}</title></rect>"#,
            y = DAILY_HEIGHT - height + 1,
            w = DAILY_COLUMN - 2,
            // The date is made by the dashboard from a number, never by a client.
            date = escape(date),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Text safe inside SVG markup.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn funnel_bars_are_shares_of_the_first_step() {
        let svg = funnel(&[("sent", 4), ("delivered", 4), ("read", 2), ("clicked", 0)]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 4);
        assert!(
            svg.contains(
                r#"width="160" height="10" class="bar sent" data-step="sent" data-value="4""#
            ),
            "{svg}"
        );
        assert!(
            svg.contains(
                r#"width="80" height="10" class="bar read" data-step="read" data-value="2""#
            ),
            "{svg}"
        );
        assert!(
            svg.contains(r#"width="0" height="10" class="bar clicked""#),
            "{svg}"
        );
        assert!(svg.contains("read 2"));
    }

    #[test]
    fn a_tiny_share_still_shows_and_nothing_divides_by_zero() {
        let svg = funnel(&[("sent", 1000), ("clicked", 1)]);
        assert!(
            svg.contains(r#"width="1" height="10" class="bar clicked""#),
            "{svg}"
        );
        let empty = funnel(&[("sent", 0), ("read", 0)]);
        assert_eq!(empty.matches(r#"width="0""#).count(), 2);
        assert_eq!(daily(&[]).matches("<rect").count(), 0);
    }

    #[test]
    fn daily_columns_scale_to_the_busiest_day() {
        let svg = daily(&[
            ("2031-02-01".into(), 2),
            ("2031-02-02".into(), 8),
            ("2031-02-03".into(), 0),
        ]);
        assert!(
            svg.contains(r#"height="20" class="bar day" data-date="2031-02-01" data-value="2"><title>2031-02-01: 2</title>"#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"height="80" class="bar day" data-date="2031-02-02" data-value="8"><title>2031-02-02: 8</title>"#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"height="0" class="bar day" data-date="2031-02-03" data-value="0"><title>2031-02-03: 0</title>"#),
            "{svg}"
        );
        assert_eq!(escape("<a&\">"), "&lt;a&amp;&quot;&gt;");
    }
}
