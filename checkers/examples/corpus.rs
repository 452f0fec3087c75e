use faultline_checkers::check::{check, CheckOptions};
use faultline_checkers::{Budget, History, Op};
use std::time::{Duration, Instant};
fn main() {
    let tsv = std::fs::read_to_string("/work/shared/corpus/VERDICTS.tsv").unwrap();
    let (mut matched, mut total) = (0, 0);
    let t0 = Instant::now();
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if !cols[0].starts_with("knossos") {
            continue;
        }
        let file = format!("/tmp/corpus/{}.jsonl", cols[0].replace('/', "_"));
        let ops: Vec<Op> = std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let n = ops.len();
        let h = match History::new(ops) {
            Ok(h) => h,
            Err(e) => {
                println!("{} PAIRING ERROR {e}", cols[0]);
                total += 1;
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
            budget: Budget::with_time_limit(Duration::from_secs(30)),
            ..Default::default()
        };
        let t = Instant::now();
        let r = check(cols[1], &h, &opts);
        let el = t.elapsed();
        total += 1;
        match r {
            Ok(r) => {
                let ok = r.valid.as_str() == cols[3];
                if ok {
                    matched += 1;
                }
                if !ok || el > Duration::from_millis(200) || std::env::var("V").is_ok() {
                    println!(
                        "{} {} events {} {:?} got {} expected {} conf {} {}",
                        if ok { "ok  " } else { "MISS" },
                        cols[0],
                        n,
                        el,
                        r.valid,
                        cols[3],
                        r.stats["configurations"],
                        r.unknown_reason.unwrap_or_default()
                    );
                }
                if std::env::var("X").is_ok() && !r.anomalies.is_empty() {
                    println!("{}", r.anomalies[0].explanation);
                }
            }
            Err(e) => println!("ERR  {} {e}", cols[0]),
        }
    }
    println!("matched {matched}/{total} in {:?}", t0.elapsed());
}
