//! Reading criterion's results: `<dir>/<group>/<member>/new/` holds
//! `benchmark.json` (names, throughput), `estimates.json` (the median) and
//! `sample.json` (per-sample iteration counts and total times, for the
//! fastest and slowest sample).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

/// One criterion member's result from the last run.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// The group, as written in the bench (`refcount/pair`).
    pub group: String,
    /// The member within the group (`baseline/Rc`).
    pub member: String,
    /// Median time per iteration, nanoseconds.
    pub median_ns: f64,
    /// Fastest sample's time per iteration, nanoseconds.
    pub min_ns: f64,
    /// Slowest sample's time per iteration, nanoseconds.
    pub max_ns: f64,
    /// Elements per iteration (`Throughput::Elements`), when declared.
    pub elements: Option<u64>,
    /// Criterion's directory for this member, relative to the results root.
    pub directory: String,
}

impl Measurement {
    /// The median per element (per iteration without a throughput).
    pub fn per_element_ns(&self) -> f64 {
        self.median_ns / self.elements.unwrap_or(1).max(1) as f64
    }
}

/// A parse failure, with the file it came from.
#[derive(Debug)]
pub struct ParseError {
    /// The file that could not be read or parsed.
    pub file: PathBuf,
    /// What was wrong with it.
    pub reason: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.reason)
    }
}

fn read_json(file: &Path) -> Result<Value, ParseError> {
    let err = |reason: String| ParseError {
        file: file.to_path_buf(),
        reason,
    };
    let text = fs::read_to_string(file).map_err(|e| err(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| err(e.to_string()))
}

fn field<'a>(v: &'a Value, path: &[&str], file: &Path) -> Result<&'a Value, ParseError> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key).ok_or_else(|| ParseError {
            file: file.to_path_buf(),
            reason: format!("missing field `{}`", path.join(".")),
        })?;
    }
    Ok(cur)
}

fn number_list(v: &Value, key: &str, file: &Path) -> Result<Vec<f64>, ParseError> {
    field(v, &[key], file)?
        .as_array()
        .and_then(|a| a.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>())
        .ok_or_else(|| ParseError {
            file: file.to_path_buf(),
            reason: format!("`{key}` is not a list of numbers"),
        })
}

/// Parses one member's `new/` directory.
pub fn parse_member(new_dir: &Path) -> Result<Measurement, ParseError> {
    let bench_file = new_dir.join("benchmark.json");
    let bench = read_json(&bench_file)?;
    let text = |path: &[&str]| -> Result<String, ParseError> {
        field(&bench, path, &bench_file)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ParseError {
                file: bench_file.clone(),
                reason: format!("`{}` is not a string", path.join(".")),
            })
    };
    let group = text(&["group_id"])?;
    let member = text(&["function_id"])?;
    let directory = text(&["directory_name"])?;
    let elements = bench
        .get("throughput")
        .and_then(|t| t.get("Elements"))
        .and_then(Value::as_u64);

    let est_file = new_dir.join("estimates.json");
    let est = read_json(&est_file)?;
    let median_ns = field(&est, &["median", "point_estimate"], &est_file)?
        .as_f64()
        .ok_or_else(|| ParseError {
            file: est_file.clone(),
            reason: "`median.point_estimate` is not a number".into(),
        })?;

    let sample_file = new_dir.join("sample.json");
    let (min_ns, max_ns) = match read_json(&sample_file) {
        Ok(sample) => {
            let iters = number_list(&sample, "iters", &sample_file)?;
            let times = number_list(&sample, "times", &sample_file)?;
            if iters.len() != times.len() || iters.is_empty() {
                return Err(ParseError {
                    file: sample_file,
                    reason: "`iters` and `times` differ in length or are empty".into(),
                });
            }
            let per_iter = times.iter().zip(&iters).map(|(t, n)| t / n);
            per_iter.fold((f64::INFINITY, 0.0_f64), |(lo, hi), x| {
                (lo.min(x), hi.max(x))
            })
        }
        // Without samples, the median stands for both.
        Err(_) => (median_ns, median_ns),
    };
    Ok(Measurement {
        group,
        member,
        median_ns,
        min_ns,
        max_ns,
        elements,
        directory,
    })
}

/// Every measurement under `root` whose `estimates.json` is not older than
/// `since` (results of earlier runs count as not measured), grouped by
/// group name, members in name order. Unreadable members are returned as
/// errors beside the results.
pub fn load(
    root: &Path,
    since: Option<SystemTime>,
) -> (BTreeMap<String, Vec<Measurement>>, Vec<ParseError>) {
    let mut groups: BTreeMap<String, Vec<Measurement>> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            let name = entry.file_name();
            // `base` and `change` are the previous run and the comparison.
            if name == "base" || name == "change" || name == "report" {
                continue;
            }
            if name == "new" && path.join("benchmark.json").is_file() {
                let fresh = since.is_none_or(|t| {
                    fs::metadata(path.join("estimates.json"))
                        .and_then(|m| m.modified())
                        .is_ok_and(|m| m >= t)
                });
                if fresh {
                    match parse_member(&path) {
                        Ok(m) => groups.entry(m.group.clone()).or_default().push(m),
                        Err(e) => errors.push(e),
                    }
                }
                continue;
            }
            stack.push(path);
        }
    }
    for members in groups.values_mut() {
        members.sort_by(|a, b| a.member.cmp(&b.member));
    }
    (groups, errors)
}

/// The member each ratio in a group's table divides by: the preferred
/// baseline when given and present, else the first `baseline/` member.
pub fn reference<'a>(
    members: &'a [Measurement],
    preferred: Option<&str>,
) -> Option<&'a Measurement> {
    preferred
        .and_then(|p| members.iter().find(|m| m.member == p))
        .or_else(|| members.iter().find(|m| m.member.starts_with("baseline/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/criterion")
    }

    /// Median from `estimates.json`, min and max per iteration from
    /// `sample.json` (times / iters), throughput from `benchmark.json`.
    #[test]
    fn member_reads_median_and_per_iteration_extremes() {
        let m = parse_member(&fixtures().join("refcount_pair/baseline_Rc/new")).unwrap();
        assert_eq!(m.group, "refcount/pair");
        assert_eq!(m.member, "baseline/Rc");
        assert_eq!(m.median_ns, 1.5);
        assert_eq!(m.min_ns, 1.0);
        assert_eq!(m.max_ns, 2.5);
        assert_eq!(m.elements, Some(1));
    }

    /// The loader groups members by `group_id`, sorted by member name, and
    /// never reads the previous run (`base/`).
    #[test]
    fn load_groups_members_and_skips_previous_runs() {
        let (groups, errors) = load(&fixtures(), None);
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<&str> = groups["refcount/pair"]
            .iter()
            .map(|m| m.member.as_str())
            .collect();
        assert_eq!(
            names,
            ["CountWord/immortal", "CountWord/mortal", "baseline/Rc"]
        );
        assert_eq!(groups["gc/live-ring-10k"].len(), 2);
    }

    /// A missing `median` is an error naming the file, not a zero.
    #[test]
    fn estimates_without_median_is_an_error() {
        let err = parse_member(&fixtures().join("../broken/member/new")).unwrap_err();
        assert!(err.to_string().contains("median.point_estimate"), "{err}");
    }

    /// Per element divides by the declared throughput.
    #[test]
    fn per_element_divides_by_elements() {
        let (groups, _) = load(&fixtures(), None);
        let gc = &groups["gc/live-ring-10k"];
        let om = gc.iter().find(|m| m.member == "objmodel/collect").unwrap();
        assert_eq!(om.per_element_ns(), 40.0);
    }

    /// The preferred baseline wins over the first `baseline/` member.
    #[test]
    fn reference_prefers_the_named_baseline() {
        let (groups, _) = load(&fixtures(), None);
        let pair = &groups["refcount/pair"];
        assert_eq!(reference(pair, None).unwrap().member, "baseline/Rc");
        assert_eq!(
            reference(pair, Some("CountWord/mortal")).unwrap().member,
            "CountWord/mortal"
        );
    }
}
