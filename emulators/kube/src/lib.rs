//! kube emulator
