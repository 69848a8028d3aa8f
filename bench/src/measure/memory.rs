//! Resident memory of a process, from `/proc/<pid>/status` (Linux).

use std::path::PathBuf;

use thiserror::Error;

/// Resident set sizes of a process, in KiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory {
    /// Current resident set size (`VmRSS`).
    pub current_kib: u64,
    /// Peak resident set size since the process started (`VmHWM`, the high-water mark).
    pub peak_kib: u64,
}

/// Why the memory of a process could not be read.
#[derive(Debug, Error)]
pub enum MemoryError {
    /// The status file could not be read (the process is gone, or this is not Linux).
    #[error("cannot read {path}")]
    Read {
        /// The status file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The status file lacks a field.
    #[error("{path} has no readable {field} line")]
    Missing {
        /// The status file.
        path: PathBuf,
        /// The field, e.g. `VmHWM`.
        field: &'static str,
    },
}

impl Memory {
    /// Reads the memory of process `pid`.
    pub fn of_process(pid: u32) -> Result<Self, MemoryError> {
        let path = PathBuf::from(format!("/proc/{pid}/status"));
        let status = std::fs::read_to_string(&path).map_err(|source| MemoryError::Read {
            path: path.clone(),
            source,
        })?;
        let field = |field| {
            kib_field(&status, field).ok_or_else(|| MemoryError::Missing {
                path: path.clone(),
                field,
            })
        };
        Ok(Self {
            current_kib: field("VmRSS")?,
            peak_kib: field("VmHWM")?,
        })
    }
}

/// The value of a `Name:   1234 kB` line of a `/proc/<pid>/status` text.
fn kib_field(status: &str, name: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix(name)?.strip_prefix(':')?;
        value.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// `kib` as MiB with one decimal, for the report.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tzitadel-user-op\nVmPeak:\t  900000 kB\nVmHWM:\t   24576 kB\nVmRSS:\t   20480 kB\nThreads:\t4\n";

    #[test]
    fn resident_sizes_are_read_from_their_kib_lines() {
        assert_eq!(kib_field(STATUS, "VmHWM"), Some(24576));
        assert_eq!(kib_field(STATUS, "VmRSS"), Some(20480));
    }

    #[test]
    fn a_missing_or_prefix_only_field_is_none() {
        assert_eq!(kib_field(STATUS, "VmSwap"), None);
        // `Vm` is a prefix of several names but not a field itself.
        assert_eq!(kib_field(STATUS, "Vm"), None);
    }

    #[test]
    fn this_process_has_a_nonzero_peak_at_least_its_current_size() {
        let memory = Memory::of_process(std::process::id()).expect("own status is readable");
        assert!(memory.current_kib > 0);
        assert!(memory.peak_kib >= memory.current_kib);
    }

    #[test]
    fn sizes_print_as_mebibytes() {
        assert_eq!(mib(24576), "24.0 MiB");
    }
}
