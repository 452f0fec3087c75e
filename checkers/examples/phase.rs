use faultline_checkers::check::{check, CheckOptions};
use faultline_checkers::linearizable::{
    intern::Interner, models::Register, prepare, search, split,
};
use faultline_checkers::synth::RegisterWorkload;
use std::time::Instant;
fn main() {
    let h = RegisterWorkload::many_keys(2, 1_000_000, 100).generate();
    let t = Instant::now();
    let (groups, _) = split::split_by_key(&h, false).unwrap();
    println!("split {:?}", t.elapsed());
    let t = Instant::now();
    let mut values = Interner::new();
    let m = Register { cas: true };
    let preps: Vec<_> = groups
        .iter()
        .map(|g| prepare::prepare(&m, &h, &g.members, &mut values).unwrap())
        .collect();
    println!("prepare {:?}", t.elapsed());
    let t = Instant::now();
    let b = faultline_checkers::Budget::default();
    let mut conf = 0;
    for p in &preps {
        conf += search::search(&m, &p.calls, 0, &b).configurations;
    }
    println!("search {:?} conf {conf}", t.elapsed());
    let t = Instant::now();
    let r = check("cas-register", &h, &CheckOptions::default()).unwrap();
    println!("check {:?} {}", t.elapsed(), r.valid);
}
