//! Mutated valid model files: a real model's JSON is altered at the value
//! level (numbers replaced by extremes, fields removed or retyped, arrays
//! truncated, duplicated or emptied, strings changed) and at the byte
//! level, then loaded. Loading must give a model or a ModelFormat error,
//! never a panic; a model that loads must score and round-trip.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use painpoints::{Control, ErrorKind, ProblemModel, ProblemModelParams};
use serde_json::{json, Value};
use std::sync::OnceLock;

fn valid_model() -> &'static Value {
    static MODEL: OnceLock<Value> = OnceLock::new();
    MODEL.get_or_init(|| {
        let topics = [
            ["refund not received", "my refund was not received", "refund not received yet", "no refund received"],
            ["app crashes at login", "the app crashed at login", "login crashes the app", "app crash on login"],
            ["customer service was rude", "rude customer service agent", "customer service rude again", "customer service is rude"],
        ];
        let mut texts = Vec::new();
        for i in 0..12 {
            for t in &topics {
                texts.push(Some(format!("{} {}", t[i % 4], ["", "again", "today"][i % 3])));
            }
        }
        texts.push(None);
        let params = ProblemModelParams { min_size: Some(3), ..Default::default() };
        let fit = params.fit(&texts, &Control::new()).expect("seed model fits");
        assert!(!fit.model.problems().is_empty(), "seed model has problems");
        serde_json::from_str(&fit.model.to_json().expect("json")).expect("valid json")
    })
}

const PROBES: &[Option<&str>] = &[
    Some("my refund was not received"),
    Some("the app crashes at login"),
    Some("customer service rude"),
    None,
    Some(""),
];

fn replacement(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0u8..=15)? {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(0),
        4 => json!(u64::MAX),
        5 => json!(i64::MIN),
        6 => json!(1e308),
        7 => json!(-1e308),
        8 => json!(1e-45),
        9 => json!(""),
        10 => json!([]),
        11 => json!({}),
        12 => json!(u32::MAX),
        13 => json!(u.arbitrary::<&str>()?),
        14 => json!(u.arbitrary::<i64>()?),
        _ => json!(u.arbitrary::<f32>()?),
    })
}

/// Walk to a random node and change it.
fn mutate(v: &mut Value, u: &mut Unstructured<'_>) -> Result<()> {
    // Descend while the input says so and there is somewhere to go.
    let descend = u.ratio(4u8, 5u8)?;
    match v {
        Value::Object(map) if descend && !map.is_empty() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let k = u.choose(&keys)?.clone();
            match u.int_in_range(0u8..=9)? {
                0 => {
                    map.remove(&k);
                }
                1 => {
                    map.insert(k, replacement(u)?);
                }
                _ => {
                    if let Some(child) = map.get_mut(&k) {
                        mutate(child, u)?;
                    }
                }
            }
        }
        Value::Array(items) if descend && !items.is_empty() => {
            let i = u.choose_index(items.len())?;
            match u.int_in_range(0u8..=9)? {
                0 => {
                    items.remove(i);
                }
                1 => {
                    let copy = items[i].clone();
                    items.insert(i, copy);
                }
                2 => items.truncate(i),
                3 => {
                    let j = u.choose_index(items.len())?;
                    items.swap(i, j);
                }
                4 => items.push(replacement(u)?),
                _ => mutate(&mut items[i], u)?,
            }
        }
        Value::Number(_) if u.arbitrary()? => {
            // Nudge a number rather than replace it: stays plausible.
            let x = v.as_f64().unwrap_or(0.0);
            *v = match u.int_in_range(0u8..=4)? {
                0 => json!(x + 1.0),
                1 => json!(x - 1.0),
                2 => json!(-x),
                3 => json!(x * 1e6),
                _ => json!((x as i64).wrapping_add(1)),
            };
        }
        _ => *v = replacement(u)?,
    }
    Ok(())
}

fn check(s: &str) {
    match ProblemModel::from_json(s) {
        Ok(m) => {
            let ctl = Control::new();
            let ids = m.predict(PROBES, &ctl).expect("predict on a loaded model");
            assert_eq!(ids.len(), PROBES.len());
            let valid: Vec<i64> = m.problems().iter().map(|p| p.id as i64).collect();
            for &id in &ids {
                assert!(id == -1 || valid.contains(&id), "predicted id {id} is no problem's id {valid:?}");
            }
            let json = m.to_json().expect("to_json of a loaded model");
            let again = ProblemModel::from_json(&json).expect("a loaded model's JSON must load again");
            assert_eq!(again.predict(PROBES, &ctl).expect("predict"), ids);
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::ModelFormat, "unexpected error kind: {e}"),
    }
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let mut v = valid_model().clone();
    let n = u.int_in_range(1u8..=4)?;
    for _ in 0..n {
        mutate(&mut v, &mut u)?;
    }
    let mut text = serde_json::to_string(&v).expect("serialise");
    // Sometimes also damage bytes: truncate or overwrite a few.
    if u.ratio(1u8, 4u8)? && !text.is_empty() {
        let mut bytes = text.into_bytes();
        match u.int_in_range(0u8..=1)? {
            0 => {
                let at = u.choose_index(bytes.len())?;
                bytes.truncate(at);
            }
            _ => {
                for _ in 0..u.int_in_range(1u8..=4)? {
                    let at = u.choose_index(bytes.len())?;
                    bytes[at] = u.arbitrary()?;
                }
            }
        }
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    check(&text);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
