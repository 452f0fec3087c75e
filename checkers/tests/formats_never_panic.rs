//! Every history reader answers any input with a history or an error that says where: random
//! bytes and mutations of valid files of each format must never panic, and errors must point at a
//! line that exists.

use faultline_checkers::history::formats::{parse_edn_value, read_bytes, Format};
use faultline_checkers::history::HistoryError;
use proptest::prelude::*;

const FORMATS: [Format; 5] = [
    Format::Auto,
    Format::Jsonl,
    Format::Edn,
    Format::Json,
    Format::JepsenLog,
];

const SAMPLES: [&str; 5] = [
    "{\"index\":0,\"time\":5,\"process\":3,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"k7\",\"value\":4,\"node\":\"n2\"}\n\
     {\"index\":1,\"time\":9,\"process\":3,\"type\":\"ok\",\"f\":\"write\",\"key\":\"k7\",\"value\":4}\n\
     {\"index\":2,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"kill\",\"value\":{\"n1\":[\"n2\"]}}\n",
    "; knossos\n[{:type :invoke, :f :cas, :value [1 4], :process 3, :time 10}\n \
     {:type :info, :f :cas, :value [1 4], :process 3, :error :timed-out}\n \
     {:process :nemesis, :type :info, :f :start, :value #{\"n1\" \\a 1.5M 7N}}]\n",
    "#jepsen.history.Op{:index 0, :type :invoke, :process 0, :f :txn, :value [[:append 1 2] [:r 3 nil]]}\n\
     #jepsen.history.Op{:index 1, :type :ok, :process 0, :f :txn, :value [[:append 1 2] [:r 3 [1]]], #_ :x}\n",
    "[{\"type\":\"invoke\",\"f\":\"read\",\"process\":0,\"time\":1,\"index\":0},\n\
     {\"type\":\"ok\",\"f\":\"read\",\"process\":0,\"value\":{\"0\":100,\"1\":0},\"index\":1}]\n",
    "INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4]\n\
     2014-04-13 17:38:48,479{GMT}\tINFO\t[w 1] jepsen.util: 1\t:invoke\t:read\tnil\n\
     INFO  jepsen.util - 3\t:info\t:cas\t[1 4]\t:timed-out\n",
];

/// Reads `bytes` in every format; checks each error names a line within the input.
fn read_all(bytes: &[u8]) -> Result<(), TestCaseError> {
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    for format in FORMATS {
        match read_bytes(bytes, "fuzz", format) {
            Ok(h) => prop_assert_eq!(h.pairs().len() <= h.len(), true),
            Err(HistoryError::Input(e)) => {
                prop_assert!(e.line <= lines, "line {} of {}: {}", e.line, lines, e);
                prop_assert!(!e.message.is_empty());
            }
            Err(other) => prop_assert!(!other.to_string().is_empty()),
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = parse_edn_value(text, "fuzz");
    }
    Ok(())
}

/// One edit of a valid file: delete, insert syntax-heavy bytes, duplicate or truncate.
#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let syntax = prop::collection::vec(
        prop::sample::select(b"{}[]()#_:;,\"\\ \n\t0-9eENM/x\xc3\xa9\xff".to_vec()),
        1..6,
    );
    prop_oneof![
        (any::<usize>(), 1usize..20).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), syntax).prop_map(|(a, b)| Mutation::Insert(a, b)),
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let len = bytes.len();
    match m {
        Mutation::Delete(at, n) => {
            let at = at % (len + 1);
            bytes.drain(at..(at + n).min(len));
        }
        Mutation::Insert(at, ins) => {
            let at = at % (len + 1);
            bytes.splice(at..at, ins.iter().copied());
        }
        Mutation::Duplicate(at, n) => {
            let at = at % (len + 1);
            let piece = bytes[at..(at + n).min(len)].to_vec();
            bytes.splice(at..at, piece);
        }
        Mutation::Truncate(at) => bytes.truncate(at % (len + 1)),
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        read_all(&bytes)?;
    }

    #[test]
    fn random_syntax_never_panics(bytes in prop::collection::vec(
        prop::sample::select(b"{}[]()#_:;,\"\\ \n0123456789-+.eNMabinvokeftypr".to_vec()), 0..300)) {
        read_all(&bytes)?;
    }

    #[test]
    fn mutated_valid_files_never_panic(
        sample in 0..SAMPLES.len(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let bytes = mutations
            .iter()
            .fold(SAMPLES[sample].as_bytes().to_vec(), apply);
        read_all(&bytes)?;
    }
}

#[test]
fn the_samples_themselves_are_valid() {
    for (i, sample) in SAMPLES.iter().enumerate() {
        let h = read_bytes(sample.as_bytes(), "sample", Format::Auto)
            .unwrap_or_else(|e| panic!("sample {i}: {e}"));
        assert!(h.len() >= 2, "sample {i}");
    }
}
