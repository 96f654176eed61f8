//! Regression tests for bugs found by fuzzing (`scripts/fuzz.sh`).
//! Each test is the minimal reproducer of one crash or wrong result.

use painpoints::{Control, ProblemModelParams};

fn three_topics() -> Vec<Option<String>> {
    let topics = [
        ["refund not received", "my refund was not received", "refund not received yet", "no refund received"],
        ["app crashes at login", "the app crashed at login", "login crashes the app", "app crash on login"],
        [
            "customer service was rude",
            "rude customer service agent",
            "customer service rude again",
            "customer service is rude",
        ],
    ];
    let mut texts = Vec::new();
    for i in 0..12 {
        for t in &topics {
            texts.push(Some(format!("{} {}", t[i % 4], ["", "again", "today"][i % 3])));
        }
    }
    texts
}

/// fuzz target cluster_tiny: `2 * max_problems` in `ProblemModelParams::fit`
/// overflowed for a huge `max_problems` ("attempt to multiply with
/// overflow" with overflow checks on, i.e. `cargo test` in debug). Without
/// overflow checks (release, the Python wheel) it wrapped: 2^63 * 2 = 0, so
/// the initial clustering was capped at 2 groups and this corpus came back
/// with 2 problems instead of 4. A huge cap must behave like no cap.
#[test]
fn huge_max_problems_does_not_overflow() {
    let texts = three_topics();
    let ctl = Control::new();
    let base = ProblemModelParams { min_size: Some(3), ..Default::default() };
    let reference = base.fit(&texts, &ctl).expect("fit");
    let k = reference.model.problems().len();
    assert!(k >= 3, "the corpus has three topics, found {k} problems");
    for cap in [usize::MAX, usize::MAX / 2 + 1] {
        let p = ProblemModelParams { max_problems: Some(cap), ..base.clone() };
        let fit = p.fit(&texts, &ctl).expect("fit with a huge max_problems");
        assert_eq!(fit.labels, reference.labels, "max_problems={cap}");
        assert_eq!(fit.model.problems().len(), k, "max_problems={cap}");
    }
}

/// The exact fuzzer input (two texts, max_problems = usize::MAX) must not panic.
#[test]
fn tiny_input_with_huge_max_problems() {
    let texts = vec![Some("refund".to_string()), None];
    let p = ProblemModelParams { max_problems: Some(usize::MAX), ..Default::default() };
    let fit = p.fit(&texts, &Control::new()).expect("fit");
    assert_eq!(fit.labels.len(), 2);
    assert_eq!(fit.labels[1], -1);
}
