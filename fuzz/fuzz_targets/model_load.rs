//! Model-file loading on arbitrary bytes: `ProblemModel::from_json` must
//! return a model or a ModelFormat error, never panic; a model that loads
//! must score texts and write itself back out loadably.
#![no_main]

use libfuzzer_sys::fuzz_target;
use painpoints::{Control, ErrorKind, ProblemModel};

const PROBES: &[Option<&str>] = &[
    Some("my refund was not received"),
    Some("the app crashes at login"),
    None,
    Some(""),
    Some("XXXX XX/XX/XXXX $5.00 退款没有收到 😡"),
];

fn check(s: &str) {
    match ProblemModel::from_json(s) {
        Ok(m) => {
            let ctl = Control::new();
            let ids = m.predict(PROBES, &ctl).expect("predict on a loaded model");
            assert_eq!(ids.len(), PROBES.len());
            let json = m.to_json().expect("to_json of a loaded model");
            let again = ProblemModel::from_json(&json).expect("a loaded model's JSON must load again");
            assert_eq!(again.predict(PROBES, &ctl).expect("predict"), ids);
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::ModelFormat, "unexpected error kind: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    match std::str::from_utf8(data) {
        Ok(s) => check(s),
        Err(_) => check(&String::from_utf8_lossy(data)),
    }
});
