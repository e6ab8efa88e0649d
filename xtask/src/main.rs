//! Repository tasks. Today one: `report`, which turns criterion's results
//! and `scripts/icount`'s counts into `docs/benchmarks.md`.
//!
//! ```text
//! cargo run -p xtask -- report [--criterion DIR] [--icount FILE] [--out FILE]
//!                              [--command TEXT] [--since UNIX_SECONDS]
//! ```
//!
//! Defaults: `target/criterion`, `target/icount/icount.tsv`,
//! `docs/benchmarks.md`, `bash scripts/bench`, every result. `--since`
//! counts results older than the given time (an earlier run's) as not
//! measured.

mod report;
mod results;
mod targets;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const USAGE: &str = "usage: cargo run -p xtask -- report [--criterion DIR] [--icount FILE] \
                     [--out FILE] [--command TEXT] [--since UNIX_SECONDS]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("report") => match run_report(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xtask report: {e}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The repository root: xtask's parent directory.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the repository root")
        .to_path_buf()
}

fn run_report(args: &[String]) -> Result<(), String> {
    let root = root();
    let mut criterion = root.join("target/criterion");
    let mut icount = root.join("target/icount/icount.tsv");
    let mut out = root.join("docs/benchmarks.md");
    let mut command = "bash scripts/bench".to_owned();
    let mut since = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--criterion" => criterion = root.join(value),
            "--icount" => icount = root.join(value),
            "--out" => out = root.join(value),
            "--command" => command = value.clone(),
            "--since" => {
                let secs: u64 = value.parse().map_err(|_| format!("--since {value:?}"))?;
                since = Some(UNIX_EPOCH + Duration::from_secs(secs));
            }
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    let (groups, errors) = results::load(&criterion, since);
    for e in &errors {
        eprintln!("xtask report: skipped {e}");
    }
    let icount_rows = match std::fs::read_to_string(&icount) {
        Ok(text) => Some(report::parse_icount(&text)?),
        Err(_) => None,
    };
    let out_dir = out.parent().unwrap_or(&root);
    let info = report::RunInfo {
        nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu: cpu_model(),
        memory: memory_total(),
        python: python_version(),
        date: utc_now(),
        command,
        criterion_dir: relative(out_dir, &criterion),
    };
    let text = report::render(&info, &groups, icount_rows.as_deref());
    std::fs::write(&out, text).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("wrote {} ({} groups)", relative(&root, &out), groups.len());
    Ok(())
}

/// `to` relative to the directory `from` (both under the repository root),
/// with `/` separators, for links that work in the repository.
fn relative(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn memory_total() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            let line = t.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.1} GiB", kib as f64 / (1024.0 * 1024.0)))
        })
        .unwrap_or_else(|| "unknown".into())
}

fn python_version() -> String {
    Command::new("python3")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "not available".into())
}

fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil(secs)
}

/// `YYYY-MM-DD HH:MM` for seconds since the epoch (UTC), by Howard
/// Hinnant's days-to-civil algorithm.
fn civil(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (hh, mm) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known instants: the epoch, a leap day, the end of a century year.
    #[test]
    fn civil_dates_match_known_instants() {
        assert_eq!(civil(0), "1970-01-01 00:00");
        assert_eq!(civil(951_782_400 + 3_660), "2000-02-29 01:01");
        assert_eq!(civil(978_307_199), "2000-12-31 23:59");
    }

    /// Links from docs/ to target/criterion climb one level.
    #[test]
    fn relative_link_climbs_out_of_docs() {
        assert_eq!(
            relative(Path::new("/r/docs"), Path::new("/r/target/criterion")),
            "../target/criterion"
        );
    }
}
