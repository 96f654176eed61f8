//! Clustering on tiny inputs: `ProblemModelParams::fit` on 0-20 arbitrary
//! strings (or missing rows) with arbitrary parameters. Must never panic;
//! invalid parameters must be errors; a fit must give one label per row,
//! -1 for missing/blank rows, ids of real problems otherwise, agree with
//! `predict` on the same texts, and survive a model-file round trip.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use painpoints::{Control, ProblemModel, ProblemModelParams, NO_PROBLEM};

const WORDS: &[&str] = &[
    "refund", "not", "received", "late", "delivery", "parcel", "app", "crash", "login", "card",
    "stolen", "fee", "charged", "twice", "customer", "service", "rude", "XXXX", "$5.00", "#123",
    "never", "my", "the", "退款", "没有", "收到", "😡", "مرحبا", "שלום", "www.x.com", "a@b.co", "03/15/2024",
];

fn usize_choice(u: &mut Unstructured<'_>) -> Result<Option<usize>> {
    Ok(match u.int_in_range(0u8..=7)? {
        0 => None,
        1 => Some(0),
        2 => Some(1),
        3 => Some(2),
        4 => Some(usize::MAX),
        5 => Some(usize::MAX / 2 + 1),
        _ => Some(u.int_in_range(0usize..=40)?),
    })
}

fn f32_choice(u: &mut Unstructured<'_>) -> Result<f32> {
    Ok(match u.int_in_range(0u8..=9)? {
        0 => f32::NAN,
        1 => f32::INFINITY,
        2 => -0.5,
        3 => 1.5,
        4 => 0.0,
        5 => 1.0,
        6 => f32::MIN_POSITIVE,
        _ => u.int_in_range(0u16..=1000)? as f32 / 1000.0,
    })
}

fn text(u: &mut Unstructured<'_>) -> Result<Option<String>> {
    Ok(match u.int_in_range(0u8..=9)? {
        0 => None,
        1 => Some(String::new()),
        2 | 3 => Some(u.arbitrary::<&str>()?.to_string()),
        _ => {
            let n = u.int_in_range(1usize..=8)?;
            let mut words = Vec::with_capacity(n);
            for _ in 0..n {
                words.push(*u.choose(WORDS)?);
            }
            Some(words.join(" "))
        }
    })
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let mut params = ProblemModelParams {
        seed: u.arbitrary()?,
        max_problems: usize_choice(&mut u)?,
        min_size: usize_choice(&mut u)?,
        threshold: if u.arbitrary()? { Some(f32_choice(&mut u)?) } else { None },
        resolution: f32_choice(&mut u)?,
        ..Default::default()
    };
    if let Some(s) = usize_choice(&mut u)? {
        params.sample_size = s;
    }
    if u.arbitrary()? {
        params.min_df = u.int_in_range(0u32..=3)?;
    }
    let n = u.int_in_range(0usize..=20)?;
    let mut texts = Vec::with_capacity(n);
    for _ in 0..n {
        texts.push(text(&mut u)?);
    }

    let ctl = Control::new();
    let fit = match params.fit(&texts, &ctl) {
        Ok(f) => f,
        Err(e) => {
            assert_eq!(e.kind(), painpoints::ErrorKind::InvalidParameter, "unexpected error: {e}");
            return Ok(());
        }
    };
    assert_eq!(fit.labels.len(), n);
    assert_eq!(fit.similarity.len(), n);
    let ids: Vec<i64> = fit.model.problems().iter().map(|p| p.id as i64).collect();
    for (i, (&l, t)) in fit.labels.iter().zip(&texts).enumerate() {
        assert!(l == NO_PROBLEM || ids.contains(&l), "row {i}: label {l} not a problem id {ids:?}");
        if t.as_deref().map_or(true, |s| s.trim().is_empty()) {
            assert_eq!(l, NO_PROBLEM, "row {i}: missing/blank row got label {l}");
        }
        assert!(fit.similarity[i].is_finite(), "row {i}: similarity {}", fit.similarity[i]);
    }
    let predicted = fit.model.predict(&texts, &ctl).expect("predict on a fitted model");
    assert_eq!(predicted, fit.labels, "predict on the training texts differs from the fit's labels");

    let json = fit.model.to_json().expect("to_json");
    let back = ProblemModel::from_json(&json).expect("a model's own JSON must load");
    assert_eq!(back.predict(&texts, &ctl).expect("predict after load"), fit.labels);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
