//! Text pipeline on arbitrary input: normalize + segment + learn a
//! vocabulary + vectorize. Must never panic, and every vector must be a
//! sorted, duplicate-free, unit-length sparse vector over known term ids.
#![no_main]

use libfuzzer_sys::fuzz_target;
use painpoints::normalize::{mask, normalize};
use painpoints::segment::Segmenter;
use painpoints::vectorize::{Scratch, SparseVec, Vocabulary, VocabularyParams};
use std::sync::OnceLock;

fn seg() -> &'static Segmenter {
    static SEG: OnceLock<Segmenter> = OnceLock::new();
    SEG.get_or_init(Segmenter::english)
}

fn check_vector(v: &SparseVec, dim: usize, what: &str) {
    for w in v.windows(2) {
        assert!(w[0].0 < w[1].0, "{what}: ids not strictly increasing: {v:?}");
    }
    for &(t, w) in v {
        assert!((t as usize) < dim, "{what}: term id {t} out of range {dim}");
        assert!(w.is_finite() && w > 0.0, "{what}: bad weight {w}");
    }
    if !v.is_empty() {
        let norm: f32 = v.iter().map(|e| e.1 * e.1).sum();
        assert!((norm - 1.0).abs() < 1e-3, "{what}: norm {norm}");
    }
}

fuzz_target!(|data: &[u8]| {
    // Arbitrary UTF-8; invalid bytes are exercised via the lossy form.
    let text: String = match std::str::from_utf8(data) {
        Ok(s) => s.to_string(),
        Err(_) => String::from_utf8_lossy(data).into_owned(),
    };
    let seg = seg();
    let _ = mask(&text);
    let normalized = normalize(&text);
    let _ = seg.terms(&normalized);

    // Lines are documents: learn a vocabulary from them (min_df 1, so
    // every word is kept and phrases can form), then encode each.
    let docs: Vec<String> = text.split('\n').take(64).map(normalize).collect();
    for min_df in [1, 2] {
        let vocab = Vocabulary::learn(seg, &docs, &VocabularyParams { min_df, ..Default::default() });
        let dim = vocab.len();
        let mut scratch = Scratch::default();
        for line in text.split('\n').take(64) {
            let a = vocab.vectorize(seg, line).clone();
            check_vector(&a, dim, "vectorize");
            let b = vocab.vectorize_with(seg, line, &mut scratch).clone();
            assert_eq!(a, b, "vectorize and vectorize_with disagree");
        }
        check_vector(&vocab.vectorize(seg, &text), dim, "whole text");
    }
});
