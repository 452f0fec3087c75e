use faultline_checkers::check::{check, CheckOptions};
use faultline_checkers::{History, Op, OpType};
use serde_json::json;
fn main() {
    let h = History::new(vec![
        Op::new(0, 1, OpType::Invoke, "write", json!(1)),
        Op::new(1, 1, OpType::Ok, "write", json!(1)),
        Op::new(2, 1, OpType::Invoke, "read", json!(null)),
        Op::new(3, 1, OpType::Ok, "read", json!(null)),
    ])
    .unwrap();
    println!("{:#?}", check("register", &h, &CheckOptions::default()));
}
