//! `wamm bench metrics` with a few thousand messages, on SQLite and on PostgreSQL: it runs to
//! the end, and template analytics, Insights at account and ad level and the plain scan of the
//! messages come to the same figures (the run fails when they do not).

use std::process::Command;

/// Runs `wamm bench metrics` with `extra` flags; returns its report.
fn bench_metrics(extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_wamm"))
        .args([
            "bench",
            "metrics",
            "--messages",
            "3000",
            "--requests",
            "2",
            "--scans",
            "1",
        ])
        .args(extra)
        .output()
        .expect("wamm bench metrics runs");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    report
}

/// The figures line's counts: sent, delivered, read, clicked.
fn figures(report: &str) -> Vec<i64> {
    let line = report
        .lines()
        .find(|l| l.starts_with("figures"))
        .unwrap_or_else(|| panic!("no figures in {report}"));
    assert!(
        line.contains("and the scan agree"),
        "the paths disagree: {report}"
    );
    ["sent ", "delivered ", "read ", "clicked "]
        .iter()
        .map(|label| {
            let at = line
                .find(label)
                .unwrap_or_else(|| panic!("{label} in {line}"))
                + label.len();
            line[at..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{label} in {line}"))
        })
        .collect()
}

#[test]
fn metrics_bench_paths_agree_on_sqlite() {
    let report = bench_metrics(&[]);
    let f = figures(&report);
    // About nine in ten of the 3,000 messages go through MM API; most are delivered, many
    // read, some clicked.
    assert!((2_500..3_000).contains(&f[0]), "{report}");
    assert!(
        f[1] < f[0] && f[2] < f[1] && f[3] > 0 && f[3] < f[2],
        "{report}"
    );
    for name in [
        "template analytics (30 days, 10 templates)",
        "Insights, account level",
        "Insights, ad level",
        "scan",
    ] {
        let line = report
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {report}"));
        assert!(line.contains("p50") && line.contains("p99"), "{line}");
    }
}

#[test]
fn metrics_bench_paths_agree_on_postgres() {
    let url = wamm_testkit::pg_admin_url();
    let report = bench_metrics(&["--database-url", &url]);
    assert!(report.contains("platform on postgres://"), "{report}");
    // The same seed writes the same messages on either backend.
    let sqlite = figures(&bench_metrics(&[]));
    assert_eq!(figures(&report), sqlite);
}
