//! CPU time a process has used, from `/proc/<pid>/stat` (Linux): what tells the operator's
//! own cost apart from the emulators', which share the machine with it.

use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

/// Clock ticks per second of `/proc/<pid>/stat` times: `USER_HZ`, 100 on every Linux ABI.
const TICKS_PER_SECOND: u64 = 100;

/// Why the CPU time of a process could not be read.
#[derive(Debug, Error)]
pub enum CpuError {
    /// The stat file could not be read (the process is gone, or this is not Linux).
    #[error("cannot read {path}")]
    Read {
        /// The stat file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The stat file does not have the expected fields.
    #[error("{path} has no readable CPU times")]
    Unreadable {
        /// The stat file.
        path: PathBuf,
    },
}

/// User plus system CPU time process `pid` has used since it started.
pub fn of_process(pid: u32) -> Result<Duration, CpuError> {
    read_ticks(
        PathBuf::from(format!("/proc/{pid}/stat")),
        user_and_system_ticks,
    )
}

/// User plus system CPU time of this process (the benchmark with both emulators).
pub fn of_this_process() -> Result<Duration, CpuError> {
    of_process(std::process::id())
}

/// CPU time the hypervisor gave to other guests while this machine's CPUs wanted it (the
/// `steal` column of `/proc/stat`, all CPUs together). On a shared host it tells a slow run
/// from a slow operator: a creation that was robbed of its CPUs is slower for it.
pub fn stolen() -> Result<Duration, CpuError> {
    read_ticks(PathBuf::from("/proc/stat"), steal_ticks)
}

/// The clock ticks `parse` finds in the file at `path`, as a duration.
fn read_ticks(path: PathBuf, parse: fn(&str) -> Option<u64>) -> Result<Duration, CpuError> {
    let text = std::fs::read_to_string(&path).map_err(|source| CpuError::Read {
        path: path.clone(),
        source,
    })?;
    let ticks = parse(&text).ok_or(CpuError::Unreadable { path })?;
    Ok(Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

/// The `steal` column (the 8th number) of the `cpu` line of a `/proc/stat` text.
fn steal_ticks(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|line| line.starts_with("cpu "))?;
    line.split_whitespace().nth(8)?.parse().ok()
}

/// `utime + stime` (fields 14 and 15) of a `/proc/<pid>/stat` line. The command name (field 2)
/// is in parentheses and may contain spaces, so fields are counted after its closing one.
fn user_and_system_ticks(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    // After the name: field 3 (state) is at index 0, so utime (14) is at 11, stime (15) at 12.
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// CPU seconds with two decimals, for the report.
pub fn cpu_seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_and_system_ticks_are_read_after_a_name_with_spaces() {
        let stat =
            "4242 (tokio (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 8 0 99 0 0";
        assert_eq!(user_and_system_ticks(stat), Some(281));
        assert_eq!(user_and_system_ticks("4242 (short) S 1"), None);
    }

    #[test]
    fn steal_is_the_eighth_time_of_the_cpu_line() {
        let stat = "cpu  358913 0 31291 583695 1299 0 1041 16833 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n";
        assert_eq!(steal_ticks(stat), Some(16833));
        assert_eq!(steal_ticks("cpu0 1 2 3 4 5 6 7 8 9 10\n"), None);
        assert!(stolen().is_ok());
    }

    #[test]
    fn this_process_has_used_some_cpu_time_and_reads_back() {
        assert!(of_this_process().is_ok());
    }

    #[test]
    fn cpu_time_prints_in_seconds() {
        assert_eq!(cpu_seconds(Duration::from_millis(1234)), "1.23 s");
    }
}
