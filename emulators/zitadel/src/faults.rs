//! Fault injection: per RPC name, a queue of faults consumed in order, one call at a time.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::errors::GrpcCode;

/// A misbehaviour for the next `times` calls of one RPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this gRPC code (HTTP status per §9.2, §9.1 body) without doing anything.
    Fail {
        /// How many calls.
        times: usize,
        /// The code to answer with.
        code: GrpcCode,
    },
    /// Answer 429 ResourceExhausted with `Retry-After: <seconds>`.
    RateLimited {
        /// How many calls.
        times: usize,
        /// Advertised in `Retry-After` (whole seconds, rounded up).
        retry_after: Duration,
    },
    /// Wait this long, then handle the call normally.
    Latency {
        /// How many calls.
        times: usize,
        /// Added delay.
        delay: Duration,
    },
    /// Never answer (until the client gives up or the emulator stops).
    Hang {
        /// How many calls.
        times: usize,
    },
    /// Apply the call, then close the connection without writing a response (lost response).
    DropAfterApply {
        /// How many calls.
        times: usize,
    },
}

impl Fault {
    fn times_mut(&mut self) -> &mut usize {
        match self {
            Self::Fail { times, .. }
            | Self::RateLimited { times, .. }
            | Self::Latency { times, .. }
            | Self::Hang { times }
            | Self::DropAfterApply { times } => times,
        }
    }
}

/// The effect of the fault that applies to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// See [`Fault::Fail`].
    Fail(GrpcCode),
    /// See [`Fault::RateLimited`].
    RateLimited(Duration),
    /// See [`Fault::Latency`].
    Latency(Duration),
    /// See [`Fault::Hang`].
    Hang,
    /// See [`Fault::DropAfterApply`].
    DropAfterApply,
}

/// Queued faults per RPC name.
#[derive(Debug, Default)]
pub struct Faults {
    queues: BTreeMap<String, VecDeque<Fault>>,
}

impl Faults {
    /// Queues a fault behind the ones already queued for `rpc`.
    pub fn push(&mut self, rpc: &str, mut fault: Fault) {
        if *fault.times_mut() > 0 {
            self.queues
                .entry(rpc.to_owned())
                .or_default()
                .push_back(fault);
        }
    }

    /// Consumes one call's worth of the first queued fault for `rpc`.
    pub fn take(&mut self, rpc: &str) -> Option<FaultAction> {
        let queue = self.queues.get_mut(rpc)?;
        let fault = queue.front_mut()?;
        let action = match fault {
            Fault::Fail { code, .. } => FaultAction::Fail(*code),
            Fault::RateLimited { retry_after, .. } => FaultAction::RateLimited(*retry_after),
            Fault::Latency { delay, .. } => FaultAction::Latency(*delay),
            Fault::Hang { .. } => FaultAction::Hang,
            Fault::DropAfterApply { .. } => FaultAction::DropAfterApply,
        };
        let times = fault.times_mut();
        *times -= 1;
        if *times == 0 {
            queue.pop_front();
        }
        Some(action)
    }

    /// Forgets every queued fault.
    pub fn clear(&mut self) {
        self.queues.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_in_order_one_call_at_a_time() {
        let mut faults = Faults::default();
        faults.push(
            "GetUserByID",
            Fault::Fail {
                times: 2,
                code: GrpcCode::Unavailable,
            },
        );
        faults.push("GetUserByID", Fault::Hang { times: 1 });
        assert_eq!(
            faults.take("GetUserByID"),
            Some(FaultAction::Fail(GrpcCode::Unavailable))
        );
        assert_eq!(
            faults.take("GetUserByID"),
            Some(FaultAction::Fail(GrpcCode::Unavailable))
        );
        assert_eq!(faults.take("GetUserByID"), Some(FaultAction::Hang));
        assert_eq!(faults.take("GetUserByID"), None);
    }

    #[test]
    fn faults_only_affect_their_rpc() {
        let mut faults = Faults::default();
        faults.push("CreateUser", Fault::Hang { times: 1 });
        assert_eq!(faults.take("DeleteUser"), None);
        faults.clear();
        assert_eq!(faults.take("CreateUser"), None);
    }

    #[test]
    fn a_fault_for_zero_calls_is_ignored() {
        let mut faults = Faults::default();
        faults.push("CreateUser", Fault::Hang { times: 0 });
        assert_eq!(faults.take("CreateUser"), None);
    }
}
