//! faultline-targets: one module per system under test — how to build its image, start an N-node
//! cluster, tell when it is healthy, and a client per workload with its error mapping.

pub mod role;
pub mod target;

pub use role::{NodeRole, Role, Roles};
pub use target::{
    validate_cluster, validate_run, BoxFuture, Client, ClusterSpec, Completion, ContextFile,
    ImageParent, ImageRecipe, NodeSpec, OptionKind, Target, TargetError, TargetOption,
};

pub mod etcd;
pub mod postgres;
pub mod reference;

/// The targets `--target` accepts.
pub const TARGETS: &[&str] = &["reference", "etcd", "postgres"];

/// The target named `name`.
pub fn by_name(name: &str) -> Result<Box<dyn Target>, TargetError> {
    match name {
        "reference" | "refnode" => Ok(Box::new(reference::Reference::default())),
        "etcd" => Ok(Box::new(etcd::Etcd)),
        "postgres" | "postgresql" => Ok(Box::new(postgres::Postgres)),
        other => Err(TargetError::Unsupported(format!(
            "unknown target {other:?}; known targets: {}",
            TARGETS.join(", ")
        ))),
    }
}
