use faultline_checkers::check::{check, CheckOptions};
use faultline_checkers::history::formats::{read_path, Format};
use std::time::Instant;
fn main() {
    let tsv = std::fs::read_to_string("/work/shared/corpus/VERDICTS.tsv").unwrap();
    let (mut matched, mut total) = (0, 0);
    let t0 = Instant::now();
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if !cols[0].starts_with("knossos") {
            continue;
        }
        total += 1;
        let h = match read_path(format!("/work/shared/corpus/{}", cols[0]), Format::Edn) {
            Ok(h) => h,
            Err(e) => {
                println!("READ {} {e}", cols[0]);
                continue;
            }
        };
        let initial = match cols[2] {
            "{x:0,y:0}" => serde_json::json!({"x":0,"y":0}),
            "unlocked" => serde_json::json!("unlocked"),
            other => serde_json::from_str(other).unwrap(),
        };
        let opts = CheckOptions {
            initial: Some(initial),
            ..Default::default()
        };
        match check(cols[1], &h, &opts) {
            Ok(r) if r.valid.as_str() == cols[3] => matched += 1,
            Ok(r) => println!("MISS {} got {}", cols[0], r.valid),
            Err(e) => println!("ERR {} {e}", cols[0]),
        }
    }
    println!(
        "matched {matched}/{total} in {:?} (read + check)",
        t0.elapsed()
    );
}
