//! One run's folder: `results/<test>/<timestamp>/`.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The folder of one run.
#[derive(Clone, Debug)]
pub struct RunDir {
    pub path: PathBuf,
    /// `<timestamp>`, also the run id's suffix.
    pub stamp: String,
}

/// `YYYYMMDDTHHMMSSZ` for a time since the Unix epoch (UTC; civil-from-days, Howard Hinnant's
/// algorithm), so folder names sort by time.
pub fn utc_stamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Creates `root/<name>/<timestamp>/` (adding `-2`, `-3`... if one was made the same second) and
/// points `root/latest` at it. Run folders and campaign folders both come from here.
pub fn create_stamped(root: &Path, name: &str) -> std::io::Result<RunDir> {
    let base = utc_stamp(SystemTime::now());
    let mut stamp = base.clone();
    let mut n = 1;
    let path = loop {
        let candidate = root.join(name).join(&stamp);
        if !candidate.exists() {
            break candidate;
        }
        n += 1;
        stamp = format!("{base}-{n}");
    };
    std::fs::create_dir_all(&path)?;
    let latest = root.join("latest");
    let _ = std::fs::remove_file(&latest);
    #[cfg(unix)]
    std::os::unix::fs::symlink(Path::new(name).join(&stamp), &latest)?;
    Ok(RunDir { path, stamp })
}

impl RunDir {
    /// Creates `root/<test>/<timestamp>/nodes/` (adding `-2`, `-3`... if a run started the same
    /// second) and points `root/latest` at it.
    pub fn create(root: &Path, test: &str) -> std::io::Result<RunDir> {
        let dir = create_stamped(root, test)?;
        std::fs::create_dir_all(dir.path.join("nodes"))?;
        Ok(dir)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Writes `value` as pretty JSON to `name`.
    pub fn write_json(&self, name: &str, value: &impl serde::Serialize) -> std::io::Result<()> {
        super::schema::write(&self.file(name), value)
    }

    /// Writes a node's log to `nodes/<node>/<name>`.
    pub fn write_node_log(&self, node: &str, name: &str, text: &str) -> std::io::Result<()> {
        let dir = self.path.join("nodes").join(node);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stamps_are_utc_calendar_times() {
        assert_eq!(utc_stamp(UNIX_EPOCH), "19700101T000000Z");
        // 2024-02-29 12:34:56 UTC, a leap day.
        let t = UNIX_EPOCH + Duration::from_secs(1_709_210_096);
        assert_eq!(utc_stamp(t), "20240229T123456Z");
    }

    #[test]
    fn run_dirs_are_unique_and_latest_follows() {
        let root = std::env::temp_dir().join(format!("faultline-store-{}", std::process::id()));
        let a = RunDir::create(&root, "t").unwrap();
        let b = RunDir::create(&root, "t").unwrap();
        assert_ne!(a.path, b.path);
        assert!(b.path.join("nodes").is_dir());
        let latest = std::fs::canonicalize(root.join("latest")).unwrap();
        assert_eq!(latest, std::fs::canonicalize(&b.path).unwrap());
        b.write_json("x.json", &serde_json::json!({"a": 1}))
            .unwrap();
        b.write_node_log("n1", "service.log", "hello").unwrap();
        assert!(b.path.join("nodes/n1/service.log").is_file());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
