//! The sequential specifications `faultline check` knows, one file each.

pub mod kv;
pub mod multi_register;
pub mod mutex;
pub mod queue;
pub mod register;
pub mod set;

pub use multi_register::{MultiRegister, MultiRegisterOp};
pub use mutex::{Mutex, MutexOp};
pub use queue::{Queue, QueueOp};
pub use register::{Register, RegisterOp};
pub use set::{Set, SetOp};

use crate::Value;

/// The `N` elements of an array value, or an error naming the expected `shape`.
pub(crate) fn values_of<'a, const N: usize>(
    value: &'a Value,
    shape: &str,
) -> Result<[&'a Value; N], String> {
    match value.as_array() {
        Some(items) if items.len() == N => Ok(std::array::from_fn(|i| &items[i])),
        _ => Err(format!(
            "expected a value of the form {shape}, found {value}"
        )),
    }
}
