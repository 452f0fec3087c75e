//! Docker orchestration on bollard: the engine connection, locally built images, the per-run
//! network, node container pairs, and cleanup of everything a run made.

pub mod cleanup;
pub mod client;
pub mod containers;
pub mod images;
pub mod network;
pub mod prune;
pub mod shell;

pub use cleanup::{CleanupGuard, RunObjects};
pub use client::{DockerClient, DockerError};
pub use containers::{NodeContainers, ServiceSpec};
pub use images::Images;
pub use network::RunNetwork;
