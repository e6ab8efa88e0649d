//! Rendering `docs/benchmarks.md`: the machine, the targets, the
//! instruction counts and one table per criterion group.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::results::{reference, Measurement};
use crate::targets::{self, Outcome};

/// Where and how the results were made.
pub struct RunInfo {
    /// CPUs the process may use.
    pub nproc: usize,
    /// `/proc/cpuinfo`'s model name.
    pub cpu: String,
    /// `/proc/meminfo`'s total.
    pub memory: String,
    /// `python3 --version`, when there is one.
    pub python: String,
    /// UTC date of the report.
    pub date: String,
    /// The command that made the results.
    pub command: String,
    /// Criterion's results directory, relative to the repository root.
    pub criterion_dir: String,
}

/// One row of `scripts/icount`'s output.
#[derive(Debug, Clone, PartialEq)]
pub struct Icount {
    /// The hot path (`incref`, `decref`, ...).
    pub path: String,
    /// Instructions per operation, the zero-iteration run subtracted.
    pub per_op: f64,
    /// Operations in the measured run.
    pub ops: u64,
}

/// Parses `scripts/icount`'s tab-separated lines: path, instructions per
/// operation, operations. `#` lines and blank lines are skipped.
pub fn parse_icount(text: &str) -> Result<Vec<Icount>, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let [path, per_op, ops] = f[..] else {
                return Err(format!("icount: expected 3 tab-separated fields: {line:?}"));
            };
            Ok(Icount {
                path: path.to_owned(),
                per_op: per_op
                    .parse()
                    .map_err(|_| format!("icount: bad count {per_op:?}"))?,
                ops: ops
                    .parse()
                    .map_err(|_| format!("icount: bad ops {ops:?}"))?,
            })
        })
        .collect()
}

/// A section of the report: a title, a note, and the groups it expects
/// (each printed, as "not measured" when absent). A group name ending in
/// `*` stands for every measured group with that prefix.
struct Section {
    title: &'static str,
    note: &'static str,
    groups: &'static [&'static str],
    /// The member ratios divide by, when not the first `baseline/`.
    preferred: &'static [(&'static str, &'static str)],
}

const SECTIONS: &[Section] = &[
    Section {
        title: "Counting",
        note: "One increment+decrement pair per iteration (`benches/refcount.rs`, `benches/biased.rs`).",
        groups: &[
            "refcount/pair",
            "refcount/checked-off",
            "biased/owner-pair",
            "biased/non-owner-pair",
            "biased/owner-pair-contended",
            "biased/two-threads-same-object",
            "biased/cross-thread-decref+merge",
            "biased/channel-2-threads",
        ],
        preferred: &[("refcount/pair", "baseline/Rc"), ("biased/owner-pair", "baseline/Rc")],
    },
    Section {
        title: "Dealloc paths",
        note: "1M objects per iteration unless the group says otherwise; times per object in the last column (`benches/dealloc.rs`, `benches/workloads.rs`).",
        groups: &[
            "dealloc/alloc+free-1M",
            "dealloc/chain-drop-1M",
            "dealloc/container-drop-1M",
            "dealloc/heap-teardown-1M",
            "dealloc/free-list",
            "dealloc/handle-clone+drop",
        ],
        preferred: &[
            ("dealloc/alloc+free-1M", "baseline/Box"),
            ("dealloc/chain-drop-1M", "baseline/Rc-iterative"),
        ],
    },
    Section {
        title: "CPython 3.11 on the same shapes",
        note: "The machine's `python3` driven over a pipe (`benches/cpython/*.py`); it times its own operations with `perf_counter_ns`.",
        groups: &["cpython/chain-drop-1M", "cpython/node-alloc+free"],
        preferred: &[],
    },
    Section {
        title: "rust-cc-benchmarks workloads",
        note: "The four workloads of rust-cc's published suite, on objmodel with its collector, on `Rc`/`Arc` with `Weak` back edges, and on `rust-cc` (`benches/workloads.rs`).",
        groups: &[
            "workloads/binary-trees",
            "workloads/binary-trees-parent",
            "workloads/large-linked-list",
            "workloads/stress-test",
        ],
        preferred: &[],
    },
    Section {
        title: "The collector",
        note: "One full collection per iteration against CPython's `gc.collect()` on the same shape (`benches/gc.rs`, `benches/cpython/gc_shapes.py`).",
        groups: &["gc/*"],
        preferred: &[],
    },
];

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.3} µs", ns / 1e3)
    } else {
        format!("{ns:.3} ns")
    }
}

fn group_table(
    out: &mut String,
    info: &RunInfo,
    name: &str,
    members: &[Measurement],
    preferred: Option<&str>,
) {
    let base = reference(members, preferred);
    let dir = members[0]
        .directory
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let _ = writeln!(out, "### `{name}`\n");
    match base {
        Some(b) => {
            let _ = writeln!(
                out,
                "Ratios to `{}` (median {}). [criterion report]({}/{dir}/report/index.html)\n",
                b.member,
                fmt_ns(b.median_ns),
                info.criterion_dir
            );
        }
        None => {
            let _ = writeln!(
                out,
                "No `baseline/` member measured: no ratios. [criterion report]({}/{dir}/report/index.html)\n",
                info.criterion_dir
            );
        }
    }
    let _ = writeln!(out, "| member | median | min | max | per element | ratio |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for m in members {
        let ratio = base.map_or("—".to_owned(), |b| {
            format!("{:.2}x", m.per_element_ns() / b.per_element_ns())
        });
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            m.member,
            fmt_ns(m.median_ns),
            fmt_ns(m.min_ns),
            fmt_ns(m.max_ns),
            fmt_ns(m.per_element_ns()),
            ratio
        );
    }
    out.push('\n');
}

fn targets_section(
    out: &mut String,
    groups: &BTreeMap<String, Vec<Measurement>>,
) -> (usize, usize, usize) {
    let (mut met, mut missed, mut absent) = (0, 0, 0);
    let _ = writeln!(out, "## Targets\n");
    let _ = writeln!(
        out,
        "Each target is a ratio of two medians from this run, per element. Nothing is hidden: a missed target says MISSED.\n"
    );
    let _ = writeln!(
        out,
        "| target | measured | reference | ratio | limit | status |"
    );
    let _ = writeln!(out, "|---|---|---|---:|---:|---|");
    for t in targets::all() {
        let side = |s: &targets::Side| format!("`{}` `{}`", s.group, s.member);
        let (m, r, ratio, status) = match t.evaluate(groups) {
            Outcome::Met {
                ratio,
                measured_ns,
                reference_ns,
            } => {
                met += 1;
                (
                    fmt_ns(measured_ns),
                    fmt_ns(reference_ns),
                    format!("{ratio:.2}x"),
                    "met".to_owned(),
                )
            }
            Outcome::Missed {
                ratio,
                measured_ns,
                reference_ns,
            } => {
                missed += 1;
                (
                    fmt_ns(measured_ns),
                    fmt_ns(reference_ns),
                    format!("{ratio:.2}x"),
                    "**MISSED**".to_owned(),
                )
            }
            Outcome::NotMeasured { missing } => {
                absent += 1;
                (
                    "—".into(),
                    "—".into(),
                    "—".into(),
                    format!("not measured ({})", missing.join("; ")),
                )
            }
        };
        let _ = writeln!(
            out,
            "| {} | {} {} | {} {} | {} | {:.2}x | {} |",
            t.claim,
            side(&t.measured),
            m,
            side(&t.reference),
            r,
            ratio,
            t.limit,
            status
        );
    }
    let _ = writeln!(
        out,
        "\n{met} met, {missed} missed, {absent} not measured.\n"
    );
    (met, missed, absent)
}

/// The collector's cost per object from 10k to 1M objects, objmodel's
/// beside CPython's: the linearity targets compare objmodel with itself,
/// and this shows how much of the growth the memory hierarchy imposes on
/// both.
fn growth_section(out: &mut String, groups: &BTreeMap<String, Vec<Measurement>>) {
    let _ = writeln!(
        out,
        "## Collector growth, 10k to 1M objects
"
    );
    let _ = writeln!(
        out,
        "Per-object median of a full collection at 1M objects divided by the same at 10k, for objmodel and for CPython 3.11 in this run. 1.00x is perfectly linear; 10k objects fit in the caches, 1M do not.
"
    );
    let _ = writeln!(out, "| case | objmodel 10k | objmodel 1M | objmodel growth | CPython 10k | CPython 1M | CPython growth |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    let per_object = |case: &str, size: &str, member: &str| {
        targets::Side::new(&format!("gc/{case}-{size}"), member)
            .find(groups)
            .map(Measurement::per_element_ns)
    };
    for case in targets::GC_CASES {
        let mut cells = Vec::new();
        for member in ["objmodel/collect", "baseline/cpython-3.11"] {
            let (small, large) = (
                per_object(case, "10k", member),
                per_object(case, "1m", member),
            );
            cells.push(small.map_or("—".into(), fmt_ns));
            cells.push(large.map_or("—".into(), fmt_ns));
            cells.push(match (small, large) {
                (Some(a), Some(b)) => format!("{:.2}x", b / a),
                _ => "not measured".into(),
            });
        }
        let _ = writeln!(out, "| {case} | {} |", cells.join(" | "));
    }
    out.push('\n');
}

/// Renders the whole report.
pub fn render(
    info: &RunInfo,
    groups: &BTreeMap<String, Vec<Measurement>>,
    icount: Option<&[Icount]>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Generated by `cargo run -p xtask -- report` from criterion's results; do not edit by hand. \
         Absolute times drift on a shared machine: the claims are the ratios to a baseline measured in the same run.\n"
    );
    let _ = writeln!(out, "- Command: `{}`", info.command);
    let _ = writeln!(out, "- Date (UTC): {}", info.date);
    let _ = writeln!(
        out,
        "- Machine: {} CPUs (`nproc`), CPU `{}`, memory {}",
        info.nproc, info.cpu, info.memory
    );
    let _ = writeln!(out, "- CPython: {}", info.python);
    let _ = writeln!(
        out,
        "- Plots: criterion's HTML reports under `{}/` (linked from each group; `{}/report/index.html` lists them all)\n",
        info.criterion_dir, info.criterion_dir
    );
    targets_section(&mut out, groups);
    growth_section(&mut out, groups);

    let _ = writeln!(out, "## Instruction counts\n");
    match icount {
        Some(rows) if !rows.is_empty() => {
            let _ = writeln!(
                out,
                "Callgrind's instruction counts per operation (`scripts/icount`): a run of N operations minus a run of 0, divided by N. Deterministic, so a regression of a few instructions shows despite the noise.\n"
            );
            let _ = writeln!(
                out,
                "| hot path | instructions per operation | operations |"
            );
            let _ = writeln!(out, "|---|---:|---:|");
            for r in rows {
                let _ = writeln!(out, "| `{}` | {:.1} | {} |", r.path, r.per_op, r.ops);
            }
            out.push('\n');
        }
        _ => {
            let _ = writeln!(out, "not measured\n");
        }
    }

    let mut shown: Vec<&str> = Vec::new();
    for section in SECTIONS {
        let _ = writeln!(out, "## {}\n\n{}\n", section.title, section.note);
        for &pattern in section.groups {
            let names: Vec<&String> = match pattern.strip_suffix('*') {
                Some(prefix) => groups.keys().filter(|k| k.starts_with(prefix)).collect(),
                None => groups.keys().filter(|k| *k == pattern).collect(),
            };
            if names.is_empty() {
                let _ = writeln!(out, "### `{pattern}`\n\nnot measured\n");
            }
            for name in names {
                let preferred = section
                    .preferred
                    .iter()
                    .find(|(g, _)| g == name)
                    .map(|(_, m)| *m);
                group_table(&mut out, info, name, &groups[name], preferred);
                shown.push(name);
            }
        }
    }
    let others: Vec<&String> = groups
        .keys()
        .filter(|k| !shown.contains(&k.as_str()))
        .collect();
    if !others.is_empty() {
        let _ = writeln!(out, "## Other groups\n");
        for name in others {
            group_table(&mut out, info, name, &groups[name], None);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::results::load;

    fn info() -> RunInfo {
        RunInfo {
            nproc: 2,
            cpu: "Test CPU".into(),
            memory: "1 GiB".into(),
            python: "Python 3.11.7".into(),
            date: "2026-01-01 00:00".into(),
            command: "bash scripts/bench".into(),
            criterion_dir: "../target/criterion".into(),
        }
    }

    fn rendered() -> String {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/criterion");
        let icount = parse_icount("# path\tper_op\tops\nincref\t3.0\t1000\n").unwrap();
        render(&info(), &load(&root, None).0, Some(&icount))
    }

    /// A group's table has every member with its ratio to the baseline,
    /// and links criterion's HTML report.
    #[test]
    fn group_table_lists_ratios_and_links_the_report() {
        let r = rendered();
        assert!(
            r.contains(
                "| `CountWord/mortal` | 1.800 ns | 1.700 ns | 1.900 ns | 1.800 ns | 1.20x |"
            ),
            "{r}"
        );
        assert!(
            r.contains("(../target/criterion/refcount_pair/report/index.html)"),
            "{r}"
        );
    }

    /// Groups the suite promises but the run lacks print "not measured".
    #[test]
    fn growth_compares_both_sides_across_sizes() {
        let text = rendered();
        assert!(
            text.contains("## Collector growth, 10k to 1M objects"),
            "{text}"
        );
        let row = text
            .lines()
            .find(|l| l.starts_with("| live-ring |"))
            .expect("a live-ring row");
        assert!(row.contains('x'), "{row}");
        let absent = text
            .lines()
            .find(|l| l.starts_with("| live-none |"))
            .expect("a live-none row");
        assert!(absent.contains("not measured"), "{absent}");
    }

    #[test]
    fn missing_group_prints_not_measured() {
        assert!(rendered().contains("### `dealloc/free-list`\n\nnot measured\n"));
    }

    /// A miss is printed as MISSED with both numbers.
    #[test]
    fn missed_target_is_printed_with_numbers() {
        let r = rendered();
        let line = r.lines().find(|l| l.starts_with("| mortal pair")).unwrap();
        assert!(
            line.contains("1.800 ns") && line.contains("1.500 ns"),
            "{line}"
        );
        assert!(
            line.contains("1.20x") && line.contains("**MISSED**"),
            "{line}"
        );
    }

    /// The machine, date and command head the report; the icount table
    /// follows the targets.
    #[test]
    fn header_names_machine_date_command_and_icounts() {
        let r = rendered();
        assert!(r.contains("2 CPUs (`nproc`), CPU `Test CPU`, memory 1 GiB"));
        assert!(r.contains("- Date (UTC): 2026-01-01 00:00"));
        assert!(r.contains("- Command: `bash scripts/bench`"));
        assert!(r.contains("| `incref` | 3.0 | 1000 |"));
    }

    /// icount lines need exactly three fields.
    #[test]
    fn icount_line_with_two_fields_is_an_error() {
        assert!(parse_icount("incref\t3.0\n").is_err());
    }
}
