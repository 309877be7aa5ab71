//! `conformance-report [DIR]`: what the last run of the platform suite checked against Meta's
//! spec: how many Graph answers were validated, each operation exercised with its statuses,
//! each Graph call the spec does not cover, and the divergences relied on. `DIR` defaults to
//! `${CARGO_TARGET_DIR:-target}/tmp/conformance`, where the suite's processes log each answer
//! they checked (one directory per run). Older runs' logs are removed. Exits non-zero when the
//! run logged departures (surveying with `WAMM_CONFORMANCE=survey`).

#![expect(clippy::print_stdout, reason = "the report is the program's output")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::Value;
use wamm_testkit::conformance::SPEC;

fn main() -> ExitCode {
    let root = std::env::args_os().nth(1).map_or_else(
        || {
            let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
            PathBuf::from(target).join("tmp").join("conformance")
        },
        PathBuf::from,
    );

    let mut runs: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&root)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
                .collect()
        })
        .unwrap_or_default();
    runs.sort();
    let Some((_, last)) = runs.pop() else {
        println!(
            "no run of the suite has left a conformance log in {}",
            root.display()
        );
        return ExitCode::SUCCESS;
    };
    // Older runs are of no further use.
    for (_, old) in runs {
        let _ = std::fs::remove_dir_all(old);
    }
    let mut validated = 0;
    let mut no_object = 0;
    let mut operations: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    let mut uncovered: BTreeMap<String, usize> = BTreeMap::new();
    let mut divergences: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for file in std::fs::read_dir(&last).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(file.path()).unwrap_or_default();
        for line in text.lines() {
            let Ok(entry) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let status = entry["status"].as_u64().unwrap_or_default();
            if let Some(failure) = entry["failure"].as_str() {
                *failures.entry(failure.to_owned()).or_default() += 1;
            } else if let Some(call) = entry["uncovered"].as_str() {
                *uncovered.entry(call.to_owned()).or_default() += 1;
            } else if let Some(op) = entry["operation"].as_str() {
                validated += 1;
                // A call on an ID of no object fits several templates: it is counted apart, not
                // as coverage of the operation it happened to fit first.
                if op.contains("(ID of no object)") {
                    no_object += 1;
                } else {
                    operations.entry(op.to_owned()).or_default().insert(status);
                }
                for d in entry["divergences"].as_array().into_iter().flatten() {
                    *divergences
                        .entry(d.as_str().unwrap_or_default().to_owned())
                        .or_default() += 1;
                }
            }
        }
    }
    println!("conformance of the run in {}:", last.display());
    println!(
        "{validated} Graph answers validated against {} of the spec's {} operations; {} \
         answers on {} Graph calls the spec does not cover",
        operations.len(),
        SPEC.operation_count(),
        uncovered.values().sum::<usize>(),
        uncovered.len()
    );
    println!(
        "{no_object} of them on IDs of no object, each validated against the templates such an \
         ID could fill"
    );
    println!("operations exercised (statuses seen):");
    for (op, statuses) in &operations {
        let statuses: Vec<String> = statuses.iter().map(u64::to_string).collect();
        println!("  {op}: {}", statuses.join(", "));
    }
    println!("Graph calls the spec does not cover (answers):");
    for (call, n) in &uncovered {
        println!("  {call}: {n}");
    }
    println!("divergences relied on (answers):");
    for (d, n) in &divergences {
        println!("  {d}: {n}");
    }
    if !failures.is_empty() {
        println!("departures logged while surveying (answers):");
        for (f, n) in &failures {
            println!("  {n} x {f}");
        }
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
