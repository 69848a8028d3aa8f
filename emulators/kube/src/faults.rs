//! Fault injection: make the next N matching requests fail with a given status code.

/// A pending injected failure.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fault {
    verb: String,
    resource: String,
    subresource: Option<String>,
    remaining: usize,
    status: u16,
}

/// The pending failures, consumed in the order they were registered.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pending: Vec<Fault>,
}

impl Faults {
    /// Fail the next `times` requests with RBAC verb `verb` on `resource[/subresource]`.
    pub fn add(
        &mut self,
        verb: &str,
        resource: &str,
        subresource: Option<&str>,
        times: usize,
        status: u16,
    ) {
        if times > 0 {
            self.pending.push(Fault {
                verb: verb.to_string(),
                resource: resource.to_string(),
                subresource: subresource.map(str::to_string),
                remaining: times,
                status,
            });
        }
    }

    /// Drops every pending failure.
    pub fn clear(&mut self) {
        self.pending.clear();
    }

    /// If a fault matches this request, consume one use of it and return its status code.
    pub fn take(&mut self, verb: &str, resource: &str, subresource: Option<&str>) -> Option<u16> {
        let index = self.pending.iter().position(|f| {
            f.verb == verb && f.resource == resource && f.subresource.as_deref() == subresource
        })?;
        let fault = &mut self.pending[index];
        fault.remaining -= 1;
        let status = fault.status;
        if fault.remaining == 0 {
            self.pending.remove(index);
        }
        Some(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_fires_exactly_the_requested_number_of_times() {
        let mut faults = Faults::default();
        faults.add("create", "secrets", None, 2, 500);
        assert_eq!(faults.take("create", "secrets", None), Some(500));
        assert_eq!(faults.take("create", "secrets", None), Some(500));
        assert_eq!(faults.take("create", "secrets", None), None);
    }

    #[test]
    fn a_fault_only_matches_its_verb_resource_and_subresource() {
        let mut faults = Faults::default();
        faults.add("patch", "users", Some("status"), 1, 409);
        assert_eq!(faults.take("patch", "users", None), None);
        assert_eq!(faults.take("update", "users", Some("status")), None);
        assert_eq!(faults.take("patch", "users", Some("status")), Some(409));
    }
}
