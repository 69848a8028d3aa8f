//! zitadel emulator
